package dev.oms.engine.risk;

/**
 * The verdict of {@link RiskCheck}: {@link #OK} or the one reason an order is refused before it reaches
 * the book. Immutable. Rejections are events that go into the log, so each reason carries a stable
 * {@link #code()}: never renumber or reuse one, only add.
 */
public enum RejectReason {
    OK(0),
    /** Quantity zero or negative. */
    INVALID_QUANTITY(1),
    /** A LIMIT price zero or negative, or a MARKET order that carries a price. */
    INVALID_PRICE(2),
    /** Quantity above {@link RiskLimits#maxOrderQuantity()}. */
    QUANTITY_LIMIT(3),
    /** Price times quantity above {@link RiskLimits#maxNotional()}, or too large to compute. */
    NOTIONAL_LIMIT(4),
    /** Limit price further from the reference price than {@link RiskLimits#priceBandBasisPoints()}. */
    PRICE_BAND(5),
    /** The account already has {@link RiskLimits#maxOpenOrdersPerAccount()} open orders. */
    OPEN_ORDER_LIMIT(6),
    /**
     * A full fill, with the account's resting orders on the same side filled too, would take its net
     * position beyond {@link RiskLimits#maxPositionPerAccountAndSymbol()}.
     */
    POSITION_LIMIT(7);

    private static final RejectReason[] BY_CODE = new RejectReason[values().length];

    static {
        for (RejectReason reason : values()) {
            BY_CODE[reason.code] = reason;
        }
    }

    private final int code;

    RejectReason(int code) {
        this.code = code;
    }

    /** The number written to events; stable across releases. */
    public int code() {
        return code;
    }

    public static RejectReason fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
            throw new IllegalArgumentException("no reject reason has code " + code
                    + "; an event written by a newer release?");
        }
        return BY_CODE[code];
    }
}
