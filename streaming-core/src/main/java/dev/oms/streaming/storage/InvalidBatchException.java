package dev.oms.streaming.storage;

/** A batch offered for append is not a valid v2 record batch; it is refused whole. */
public final class InvalidBatchException extends RuntimeException {
    public InvalidBatchException(String message) {
        super(message);
    }
}
