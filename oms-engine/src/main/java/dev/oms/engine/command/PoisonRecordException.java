package dev.oms.engine.command;

import dev.oms.deadletter.FailureReason;
import dev.oms.deadletter.PermanentFailure;

/** A record on the command topic that cannot be decoded into a command: retrying will not help. */
public final class PoisonRecordException extends PermanentFailure {
    public PoisonRecordException(String message, Throwable cause) {
        super(FailureReason.POISON, message, cause);
    }
}
