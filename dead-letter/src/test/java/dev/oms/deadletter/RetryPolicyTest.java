package dev.oms.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    @Test
    void backoffGrowsExponentiallyUpToItsCap() {
        RetryPolicy policy = new RetryPolicy(6, 10, 100, 2);
        assertThat(policy.backoffMs(1)).isEqualTo(10);
        assertThat(policy.backoffMs(2)).isEqualTo(20);
        assertThat(policy.backoffMs(4)).isEqualTo(80);
        assertThat(policy.backoffMs(5)).isEqualTo(100);
    }

    @Test
    void permanentFailuresAreNeverRetriedAndOthersUntilTheBudgetIsSpent() {
        RetryPolicy policy = new RetryPolicy(3, 1, 1, 1);
        assertThat(policy.retry(new PermanentFailure(FailureReason.POISON, "bad bytes", null), 1)).isFalse();
        assertThat(policy.retry(new TransientFailure("busy"), 2)).isTrue();
        assertThat(policy.retry(new IllegalStateException("bug"), 3)).isFalse();
    }
}
