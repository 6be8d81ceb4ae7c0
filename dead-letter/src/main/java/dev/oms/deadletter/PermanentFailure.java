package dev.oms.deadletter;

/** A failure that retrying cannot fix: the record is dead-lettered at once with {@link #reason()}. */
public class PermanentFailure extends RuntimeException {
    private final FailureReason reason;

    public PermanentFailure(FailureReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public FailureReason reason() {
        return reason;
    }
}
