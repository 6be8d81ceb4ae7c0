package dev.oms.engine.worker;

/**
 * The partition's commands are applied on another node now (its leadership moved in a cluster): a
 * command there is durable and will be applied by the new leader's engine, but not here.
 */
public final class PartitionMovedException extends IllegalStateException {
    public PartitionMovedException(String reason) {
        super(reason);
    }
}
