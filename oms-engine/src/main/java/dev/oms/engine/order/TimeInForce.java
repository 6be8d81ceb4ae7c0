package dev.oms.engine.order;

/** FIX TimeInForce (tag 59). */
public enum TimeInForce {
    /** Good till cancel. */
    GTC,
    /** Immediate or cancel: what does not fill at once is canceled. */
    IOC,
    /** Fill or kill: fills whole at once or not at all. */
    FOK,
    /** Expires at the end of the trading day, judged by record time. */
    DAY
}
