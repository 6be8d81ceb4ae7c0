package dev.oms.engine.command;

/** A record on the command topic that cannot be decoded into a command: retrying will not help. */
public final class PoisonRecordException extends RuntimeException {
    public PoisonRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
