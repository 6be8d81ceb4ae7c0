package dev.oms.engine.order;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Converts decimal prices to integer ticks and back. Prices are never floating point: a price
 * with more decimals than the scale, or one too large for a long, is refused rather than rounded.
 */
public record PriceScale(int decimals) {
    public PriceScale {
        if (decimals < 0 || decimals > 9) {
            throw new IllegalArgumentException("price decimals must be 0..9, got " + decimals);
        }
    }

    /** Ticks for {@code price}; throws {@link ArithmeticException} naming the problem. */
    public long toTicks(BigDecimal price) {
        BigDecimal scaled = price.movePointRight(decimals);
        BigInteger ticks;
        try {
            ticks = scaled.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new ArithmeticException("has more than " + decimals + " decimal places");
        }
        if (ticks.bitLength() > 63) {
            throw new ArithmeticException("is too large");
        }
        return ticks.longValue();
    }

    public BigDecimal toPrice(long ticks) {
        return BigDecimal.valueOf(ticks, decimals);
    }
}
