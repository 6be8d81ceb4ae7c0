package dev.oms.engine.order;

/**
 * The engine's trading day: a UTC calendar day of record time. DAY orders expire when their
 * symbol's first command of a later day is applied, and done orders leave the store when their
 * partition's is (FIX asks a ClOrdID to be unique within a trading day, no longer).
 */
public final class TradingDay {
    public static final long MILLIS = 24L * 3600 * 1000;

    private TradingDay() {
    }

    /** The day of a record time (epoch milliseconds): days since the epoch. */
    public static long of(long timestamp) {
        return Math.floorDiv(timestamp, MILLIS);
    }

    /** The record time the day begins at. */
    public static long start(long day) {
        return day * MILLIS;
    }
}
