package dev.oms.engine;

import java.nio.file.Path;

import dev.oms.engine.order.PriceScale;

/**
 * How the engine runs.
 *
 * @param stateDir    where the Chronicle Map files live
 * @param workers     engine workers (pinned agents), normally one per core
 * @param pinWorkers  pin each worker to a reserved core when one can be had
 * @param maxOrders   capacity of the order store
 * @param priceScale  decimals of a price; a price is held as integer ticks of 10^-decimals
 */
public record EngineConfig(Path stateDir, int workers, boolean pinWorkers, long maxOrders, PriceScale priceScale) {
    public EngineConfig {
        if (workers < 1) {
            throw new IllegalArgumentException("engine workers must be at least 1, got " + workers);
        }
        if (maxOrders < 1) {
            throw new IllegalArgumentException("engine max orders must be at least 1, got " + maxOrders);
        }
    }
}
