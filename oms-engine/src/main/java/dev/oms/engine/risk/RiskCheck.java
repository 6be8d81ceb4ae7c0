package dev.oms.engine.risk;

import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;

/**
 * Pre-trade risk: judges one incoming order against {@link RiskLimits} and the state the caller hands
 * in (the account's open order count and position, the symbol's reference price). A pure function with
 * no state of its own, so any thread may call it; in the engine the partition's worker does, before
 * matching.
 *
 * <p>Checks run in a fixed order and the first failing one decides the reason: field validity, size,
 * price band, notional, open orders, position. All arithmetic is exact; a product too large for a long
 * counts as over the limit, never wraps into an acceptance.
 */
public final class RiskCheck {
    /** The reference price to pass when there is none (no last trade, no opposite side): no band applies. */
    public static final long NO_REFERENCE_PRICE = 0;

    private static final long BASIS_POINTS_PER_UNIT = 10_000;

    private RiskCheck() {
    }

    /**
     * @param priceTicks          the limit price; must be 0 for MARKET orders
     * @param referencePriceTicks last trade price or best opposite price, or {@link #NO_REFERENCE_PRICE}.
     *                            MARKET orders have no price of their own, so their notional is judged at
     *                            this price, and not at all without one
     * @param openOrders          how many orders the account has open in this symbol now
     * @param position            the account's net position in this symbol if its resting orders on
     *                            {@code side} all filled (they fill later without another check);
     *                            positive is long
     */
    public static RejectReason check(RiskLimits limits, Side side, OrderType type, long priceTicks, long quantity,
                                     long referencePriceTicks, int openOrders, long position) {
        boolean market = type == OrderType.MARKET;
        if (quantity <= 0) {
            return RejectReason.INVALID_QUANTITY;
        }
        if (market ? priceTicks != 0 : priceTicks <= 0) {
            return RejectReason.INVALID_PRICE;
        }
        if (quantity > limits.maxOrderQuantity()) {
            return RejectReason.QUANTITY_LIMIT;
        }
        boolean hasReference = referencePriceTicks > 0;
        if (!market && hasReference
                && outsideBand(priceTicks, referencePriceTicks, limits.priceBandBasisPoints())) {
            return RejectReason.PRICE_BAND;
        }
        long notionalPrice = market ? referencePriceTicks : priceTicks;
        if (notionalPrice > 0 && compareProducts(notionalPrice, quantity, limits.maxNotional(), 1) > 0) {
            return RejectReason.NOTIONAL_LIMIT;
        }
        if (openOrders >= limits.maxOpenOrdersPerAccount()) {
            return RejectReason.OPEN_ORDER_LIMIT;
        }
        if (positionExceeds(side, quantity, position, limits.maxPositionPerAccountAndSymbol())) {
            return RejectReason.POSITION_LIMIT;
        }
        return RejectReason.OK;
    }

    /** {@code |price - reference| / reference > band / 10 000}, cross-multiplied so nothing rounds. */
    private static boolean outsideBand(long priceTicks, long referencePriceTicks, long bandBasisPoints) {
        long distance = Math.abs(priceTicks - referencePriceTicks); // both positive: cannot overflow
        return compareProducts(distance, BASIS_POINTS_PER_UNIT, referencePriceTicks, bandBasisPoints) > 0;
    }

    private static boolean positionExceeds(Side side, long quantity, long position, long maxPosition) {
        long change = side == Side.BUY ? quantity : -quantity;
        long projected = position + change;
        boolean overflowed = ((position ^ projected) & (change ^ projected)) < 0;
        return overflowed || projected > maxPosition || projected < -maxPosition;
    }

    /** Compares {@code a * b} with {@code c * d} exactly, as 128-bit products; all arguments non-negative. */
    private static int compareProducts(long a, long b, long c, long d) {
        long high = Math.multiplyHigh(a, b);
        long otherHigh = Math.multiplyHigh(c, d);
        return high != otherHigh ? Long.compare(high, otherHigh) : Long.compareUnsigned(a * b, c * d);
    }
}
