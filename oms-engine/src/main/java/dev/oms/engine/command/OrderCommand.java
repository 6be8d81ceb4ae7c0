package dev.oms.engine.command;

/** What clients ask of the engine about an order; written to the {@code orders} topic keyed by symbol. */
public sealed interface OrderCommand extends Command permits NewOrder, CancelOrder, ReplaceOrder {
    /** The instrument, and so the record key and partition. */
    String symbol();

    String account();
}
