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

    /**
     * A price as the API and the command records write it: ASCII digits with an optional decimal
     * part ("100", "100.05"). BigDecimal would also take a sign, an exponent and other scripts'
     * digits (an Arabic-Indic three is 3).
     */
    private static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile("[0-9]{1,19}(\\.[0-9]{1,18})?");

    /**
     * Ticks for a price written as text; throws {@link NumberFormatException} when it is not a
     * plain decimal, {@link ArithmeticException} naming the problem when it does not fit the scale.
     */
    public long parse(String price) {
        if (!PLAIN.matcher(price).matches()) {
            throw new NumberFormatException("is not a plain decimal such as 100.25");
        }
        return toTicks(new BigDecimal(price));
    }

    /** Ticks for {@code price}; throws {@link ArithmeticException} naming the problem. */
    public long toTicks(BigDecimal price) {
        // Checked before any arithmetic: 1e10000000 is ten characters, and a number of ten million digits.
        if (price.signum() != 0 && price.precision() - price.scale() > 19) {
            throw new ArithmeticException("is too large");
        }
        if (price.scale() > decimals && price.stripTrailingZeros().scale() > decimals) {
            throw new ArithmeticException("has more than " + decimals + " decimal places");
        }
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

    private static final long[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
            100_000_000, 1_000_000_000};

    /**
     * The price of {@code ticks} as records and the API write it: a plain decimal without trailing
     * zeros ("100", "100.05"), what {@code toPrice(ticks).stripTrailingZeros().toPlainString()}
     * gives, without a BigDecimal: every execution report and trade writes prices.
     */
    public String format(long ticks) {
        if (decimals == 0) {
            return Long.toString(ticks);
        }
        long whole = ticks / POWERS_OF_TEN[decimals]; // toward zero: the sign stays with the whole part
        long fraction = Math.abs(ticks % POWERS_OF_TEN[decimals]);
        StringBuilder text = new StringBuilder(22 + decimals);
        if (ticks < 0 && whole == 0) {
            text.append('-'); // -0.5: a whole part of 0 has no sign of its own
        }
        text.append(whole);
        if (fraction != 0) {
            int digits = decimals;
            while (fraction % 10 == 0) {
                fraction /= 10;
                digits--;
            }
            String significant = Long.toString(fraction);
            text.append('.');
            for (int zeros = digits - significant.length(); zeros > 0; zeros--) {
                text.append('0');
            }
            text.append(significant);
        }
        return text.toString();
    }
}
