package dev.oms.engine.command;

/** What clients ask of the engine; written to the {@code orders} topic keyed by symbol. */
public sealed interface Command permits NewOrder, CancelOrder, ReplaceOrder {
    /** The instrument, and so the record key and partition. */
    String symbol();

    String account();
}
