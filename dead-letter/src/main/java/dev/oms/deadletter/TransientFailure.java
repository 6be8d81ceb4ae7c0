package dev.oms.deadletter;

/** A failure that may clear by itself (a resource briefly unavailable): retried with backoff in place. */
public class TransientFailure extends RuntimeException {
    public TransientFailure(String message) {
        super(message);
    }

    public TransientFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
