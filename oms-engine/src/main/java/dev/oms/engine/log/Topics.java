package dev.oms.engine.log;

/** The topics of the order domain (created on first start). */
public final class Topics {
    /** Commands: NewOrder, CancelOrder, ReplaceOrder, keyed by symbol. */
    public static final String ORDERS = "orders";
    /** Execution reports. */
    public static final String ORDER_EVENTS = "order-events";
    public static final String TRADES = "trades";
    /** Commands that could not be processed, with their provenance. */
    public static final String ORDERS_DLT = "orders.DLT";

    private Topics() {
    }
}
