package dev.oms.streaming.shard;

/** The shard cannot take the append now (its queue is full or it is closing); nothing was written. */
public final class ShardBusyException extends RuntimeException {
    private final boolean closing;

    public ShardBusyException(String message) {
        this(message, false);
    }

    private ShardBusyException(String message, boolean closing) {
        super(message);
        this.closing = closing;
    }

    /** The shard is closing: no retry will get in. */
    static ShardBusyException closing(int shard) {
        return new ShardBusyException("shard " + shard + " is closed", true);
    }

    /** True when the shard is closing, false when its queue was full (a retry may get in). */
    public boolean closing() {
        return closing;
    }
}
