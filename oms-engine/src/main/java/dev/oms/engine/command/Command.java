package dev.oms.engine.command;

/**
 * A record of the {@code orders} topic: what the engine applies, in offset order, to reach its
 * state. Orders' commands, and the rules that decide them from their place in the log on.
 */
public sealed interface Command permits OrderCommand, SetRules {
}
