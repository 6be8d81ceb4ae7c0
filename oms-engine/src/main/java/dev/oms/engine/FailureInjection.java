package dev.oms.engine;

import java.util.Set;

/**
 * Failures on purpose, for demos and tests of the dead-letter path: placements (NewOrder) on
 * {@code failingSymbols} always fail; placements on {@code flakySymbols} fail their first
 * {@code flakyAttempts} attempts, then succeed. Off unless configured; refused in production.
 */
public record FailureInjection(Set<String> failingSymbols, Set<String> flakySymbols, int flakyAttempts) {
    public static final FailureInjection NONE = new FailureInjection(Set.of(), Set.of(), 0);

    public boolean active() {
        return !failingSymbols.isEmpty() || !flakySymbols.isEmpty();
    }
}
