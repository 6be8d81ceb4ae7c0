package dev.oms.engine;

import java.nio.file.Path;

import dev.oms.deadletter.RetryPolicy;
import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.risk.RiskLimits;

/**
 * How the engine runs.
 *
 * @param stateDir    where the Chronicle Map files live
 * @param workers     engine workers (pinned agents), normally one per core
 * @param pinWorkers  pin each worker to a reserved core when one can be had
 * @param maxOrders   capacity of the order store
 * @param priceScale  decimals of a price; a price is held as integer ticks of 10^-decimals
 * @param riskLimits  pre-trade limits, per account and symbol
 * @param selfTradePrevention what happens when an account's order would trade with its own
 * @param retryPolicy how failed commands are retried before they are dead-lettered
 * @param failureInjection failures on purpose (tests, demos); {@link FailureInjection#NONE} normally
 */
public record EngineConfig(Path stateDir, int workers, boolean pinWorkers, long maxOrders, PriceScale priceScale,
                           RiskLimits riskLimits, SelfTradePrevention selfTradePrevention, RetryPolicy retryPolicy,
                           FailureInjection failureInjection) {

    /** Retries: 5 attempts, 10 ms backoff doubling up to 1 s. */
    public static final RetryPolicy DEFAULT_RETRIES = new RetryPolicy(5, 10, 1000, 2);

    public EngineConfig(Path stateDir, int workers, boolean pinWorkers, long maxOrders, PriceScale priceScale,
                        RiskLimits riskLimits, SelfTradePrevention selfTradePrevention) {
        this(stateDir, workers, pinWorkers, maxOrders, priceScale, riskLimits, selfTradePrevention, DEFAULT_RETRIES,
                FailureInjection.NONE);
    }

    /** No risk limits; an account's crossing orders cancel the newest (the common exchange default). */
    public EngineConfig(Path stateDir, int workers, boolean pinWorkers, long maxOrders, PriceScale priceScale) {
        this(stateDir, workers, pinWorkers, maxOrders, priceScale, RiskLimits.UNLIMITED, SelfTradePrevention.CANCEL_NEWEST);
    }

    public EngineConfig {
        if (workers < 1) {
            throw new IllegalArgumentException("engine workers must be at least 1, got " + workers);
        }
        if (maxOrders < 1) {
            throw new IllegalArgumentException("engine max orders must be at least 1, got " + maxOrders);
        }
    }
}
