package dev.oms.deadletter;

/** Why a record went to the dead-letter topic: a stable code, in the {@code dlt.reason} header. */
public enum FailureReason {
    /** The bytes are not a record this build can read (undecodable, unknown schema version): never retried. */
    POISON,
    /** The handler kept failing until the retry budget ran out. */
    RETRIES_EXHAUSTED,
    /** The record depends on one that was dead-lettered (a cancel of an order whose placement was). */
    DEPENDS_ON_DEAD_LETTERED,
    /** The state store has no room for another order: redrive once it has been given more. */
    STORE_FULL
}
