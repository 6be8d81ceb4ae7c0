package dev.oms.engine.risk;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;

import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** The check's long arithmetic against the same rules computed in unbounded integers. */
class RiskCheckProperties {

    @Provide
    Arbitrary<Long> anyLong() {
        // Mostly around the limits, sometimes anywhere, edge values included.
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().between(-3, 3_000)),
                Tuple.of(1, Arbitraries.longs().between(Long.MAX_VALUE / 20_000, Long.MAX_VALUE / 5_000)),
                Tuple.of(2, Arbitraries.longs()));
    }

    @Provide
    Arbitrary<RiskLimits> limits() {
        Arbitrary<Long> positive = anyLong().filter(value -> value > 0);
        return Combinators.combine(positive, positive, positive, Arbitraries.integers().between(1, 50), positive)
                .as(RiskLimits::new);
    }

    @Property(tries = 5_000)
    void verdictEqualsTheRulesInExactArithmetic(@ForAll("limits") RiskLimits limits, @ForAll Side side,
                                                @ForAll OrderType type, @ForAll("anyLong") long price,
                                                @ForAll("anyLong") long quantity, @ForAll("anyLong") long reference,
                                                @ForAll("anyLong") long position) {
        long priceTicks = type == OrderType.MARKET && price % 4 != 0 ? 0 : price; // mostly well-formed MARKETs
        int openOrders = (int) Math.floorMod(quantity, 60L);
        assertThat(RiskCheck.check(limits, side, type, priceTicks, quantity, reference, openOrders, position))
                .isEqualTo(exact(limits, side, type, priceTicks, quantity, reference, openOrders, position));
    }

    @Provide
    Arbitrary<Long> nearTheEnds() {
        return Arbitraries.oneOf(Arbitraries.longs().between(Long.MIN_VALUE, Long.MIN_VALUE + 1_000),
                Arbitraries.longs().between(Long.MAX_VALUE - 1_000, Long.MAX_VALUE), Arbitraries.longs().between(-1_000, 1_000),
                Arbitraries.longs());
    }

    @Property(tries = 5_000)
    void positionVerdictIsExactWhereTheProjectedPositionOverflows(@ForAll Side side,
                                                                 @ForAll("nearTheEnds") long quantity,
                                                                 @ForAll("nearTheEnds") long position,
                                                                 @ForAll("nearTheEnds") long maxPosition) {
        RiskLimits limits = new RiskLimits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE,
                Math.max(1, maxPosition));
        assertThat(RiskCheck.check(limits, side, OrderType.LIMIT, 1, quantity, RiskCheck.NO_REFERENCE_PRICE, 0, position))
                .isEqualTo(exact(limits, side, OrderType.LIMIT, 1, quantity, RiskCheck.NO_REFERENCE_PRICE, 0, position));
    }

    private static RejectReason exact(RiskLimits limits, Side side, OrderType type, long priceTicks, long quantity,
                                      long reference, int openOrders, long position) {
        boolean market = type == OrderType.MARKET;
        BigInteger qty = BigInteger.valueOf(quantity);
        BigInteger ref = BigInteger.valueOf(reference);
        if (quantity <= 0) {
            return RejectReason.INVALID_QUANTITY;
        }
        if (market ? priceTicks != 0 : priceTicks <= 0) {
            return RejectReason.INVALID_PRICE;
        }
        if (quantity > limits.maxOrderQuantity()) {
            return RejectReason.QUANTITY_LIMIT;
        }
        if (!market && reference > 0 && BigInteger.valueOf(priceTicks).subtract(ref).abs()
                .multiply(BigInteger.valueOf(10_000))
                .compareTo(ref.multiply(BigInteger.valueOf(limits.priceBandBasisPoints()))) > 0) {
            return RejectReason.PRICE_BAND;
        }
        long notionalPrice = market ? reference : priceTicks;
        if (notionalPrice > 0
                && BigInteger.valueOf(notionalPrice).multiply(qty).compareTo(BigInteger.valueOf(limits.maxNotional())) > 0) {
            return RejectReason.NOTIONAL_LIMIT;
        }
        if (openOrders >= limits.maxOpenOrdersPerAccount()) {
            return RejectReason.OPEN_ORDER_LIMIT;
        }
        BigInteger projected = BigInteger.valueOf(position).add(side == Side.BUY ? qty : qty.negate());
        if (projected.abs().compareTo(BigInteger.valueOf(limits.maxPositionPerAccountAndSymbol())) > 0) {
            return RejectReason.POSITION_LIMIT;
        }
        return RejectReason.OK;
    }
}
