package dev.oms.engine.worker;

/**
 * The engine stopped applying a partition (a batch it could not write): a command there is
 * durable and will be applied once a restart has rebuilt the partition from its log, but it has
 * no verdict now.
 */
public final class PartitionStoppedException extends IllegalStateException {
    public PartitionStoppedException(String reason) {
        super(reason);
    }
}
