package dev.oms.streaming.shard;

/** The shard cannot take the append now (its queue is full or it is closing); nothing was written. */
public final class ShardBusyException extends RuntimeException {
    public ShardBusyException(String message) {
        super(message);
    }
}
