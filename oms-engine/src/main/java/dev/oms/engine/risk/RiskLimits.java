package dev.oms.engine.risk;

/**
 * Pre-trade limits for one symbol, judged by {@link RiskCheck}. Immutable configuration; safe to share.
 *
 * @param maxOrderQuantity               largest quantity one order may carry
 * @param maxNotional                    largest price in ticks times quantity one order may carry
 * @param priceBandBasisPoints           how far a limit price may stray from the reference price, in
 *                                       1/100 of a percent of the reference price
 * @param maxOpenOrdersPerAccount        how many open orders an account may have in the symbol before a new
 *                                       one is refused
 * @param maxPositionPerAccountAndSymbol largest absolute net position an account may reach in the symbol
 *                                       if the order filled whole
 */
public record RiskLimits(long maxOrderQuantity, long maxNotional, long priceBandBasisPoints,
                         int maxOpenOrdersPerAccount, long maxPositionPerAccountAndSymbol) {

    /** Limits that refuse nothing a book could hold. */
    public static final RiskLimits UNLIMITED = new RiskLimits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE,
            Integer.MAX_VALUE, Long.MAX_VALUE);

    public RiskLimits {
        requirePositive("maxOrderQuantity", maxOrderQuantity);
        requirePositive("maxNotional", maxNotional);
        requirePositive("priceBandBasisPoints", priceBandBasisPoints);
        requirePositive("maxOpenOrdersPerAccount", maxOpenOrdersPerAccount);
        requirePositive("maxPositionPerAccountAndSymbol", maxPositionPerAccountAndSymbol);
    }

    private static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value
                    + "; use a large value for no practical limit");
        }
    }
}
