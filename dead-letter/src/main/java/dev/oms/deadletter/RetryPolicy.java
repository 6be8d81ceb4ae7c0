package dev.oms.deadletter;

/**
 * Bounded exponential backoff: attempt n (from 1) waits {@code initialBackoffMs * multiplier^(n-1)},
 * capped at {@code maxBackoffMs}; after {@code maxAttempts} attempts the record is dead-lettered.
 * Transient and unexpected failures are retried; a {@link PermanentFailure} is not.
 */
public record RetryPolicy(int maxAttempts, long initialBackoffMs, long maxBackoffMs, double multiplier) {
    public RetryPolicy {
        if (maxAttempts < 1 || initialBackoffMs < 0 || maxBackoffMs < initialBackoffMs || multiplier < 1) {
            throw new IllegalArgumentException("retry policy needs maxAttempts >= 1, 0 <= initial <= max backoff, "
                    + "multiplier >= 1; got " + maxAttempts + ", " + initialBackoffMs + ", " + maxBackoffMs + ", " + multiplier);
        }
    }

    /** How long to wait after failed attempt {@code attempt} (1-based) before the next. */
    public long backoffMs(int attempt) {
        double backoff = initialBackoffMs * Math.pow(multiplier, attempt - 1);
        return (long) Math.min(maxBackoffMs, backoff);
    }

    /** Whether a failure of this kind may be tried again after {@code attempt} attempts. */
    public boolean retry(Throwable failure, int attempt) {
        return !(failure instanceof PermanentFailure) && attempt < maxAttempts;
    }
}
