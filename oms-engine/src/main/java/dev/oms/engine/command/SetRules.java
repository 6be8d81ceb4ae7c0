package dev.oms.engine.command;

import java.util.Objects;

import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.risk.RiskLimits;

/**
 * The rules that decide the orders' commands of a partition from this record on: the pre-trade
 * limits and self-trade prevention. They are part of the log, not of a node's configuration, so
 * that a replay decides every command by the rules it was first decided by (a configuration
 * changed since, or another node's, changes nothing before the record it leads to). The engine
 * appends one to each partition it applies when the rules configured differ from those in effect.
 */
public record SetRules(RiskLimits risk, SelfTradePrevention selfTradePrevention) implements Command {

    /**
     * In effect before a partition's first SetRules: none of the limits, and an account's crossing
     * order canceled (a constant, never the configuration, so that a log alone decides).
     */
    public static final SetRules INITIAL = new SetRules(RiskLimits.UNLIMITED, SelfTradePrevention.CANCEL_NEWEST);

    public SetRules {
        Objects.requireNonNull(risk, "risk");
        Objects.requireNonNull(selfTradePrevention, "selfTradePrevention");
    }
}
