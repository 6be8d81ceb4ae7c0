package dev.oms.api.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

class RepeatedWarningsTest {
    private static final String APPENDER = "org.apache.ratis.grpc.server.GrpcLogAppender";
    private final AtomicLong now = new AtomicLong();
    private final RepeatedWarnings filter = new RepeatedWarnings(TimeUnit.MINUTES.toNanos(1), now::get);

    private static LogRecord warning(String logger, String message) {
        LogRecord record = new LogRecord(Level.WARNING, message);
        record.setLoggerName(logger);
        return record;
    }

    private static String followerFailed(String group, int peer, int errors) {
        return "n1@group-" + group + "->n" + peer + "-GrpcLogAppender: Follower failed (request=null, errorCount=" + errors
                + "); keep nextIndex (" + (errors * 7) + ") unchanged and retry.";
    }

    @Test
    void oneWarningOfAKindIsLoggedAMinuteAndTheNextSaysHowManyWereHeldBack() {
        assertThat(filter.isLoggable(warning(APPENDER, followerFailed("C59B5E7A53E1", 3, 1)))).isTrue();
        for (int i = 2; i < 100; i++) {
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
            assertThat(filter.isLoggable(warning(APPENDER, followerFailed(i % 2 == 0 ? "65A36522B045" : "C59B5E7A53E1", 3, i))))
                    .as("warning %d, within the minute", i).isFalse();
        }
        now.addAndGet(TimeUnit.SECONDS.toNanos(11));
        LogRecord next = warning(APPENDER, followerFailed("43F346A575CE", 3, 100));
        assertThat(filter.isLoggable(next)).isTrue();
        assertThat(next.getMessage()).startsWith(followerFailed("43F346A575CE", 3, 100))
                .endsWith("(and 98 more like it, of this or other Raft groups, since the last one logged)");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertThat(filter.isLoggable(warning(APPENDER, followerFailed("43F346A575CE", 3, 101)))).isFalse();
    }

    @Test
    void warningsAboutAnotherPeerOrOfAnotherKindAreLoggedOnTheirOwn() {
        assertThat(filter.isLoggable(warning(APPENDER, followerFailed("C59B5E7A53E1", 3, 1)))).isTrue();
        assertThat(filter.isLoggable(warning(APPENDER, followerFailed("C59B5E7A53E1", 2, 1)))).as("another peer").isTrue();
        assertThat(filter.isLoggable(warning(APPENDER, "n1@group-C59B5E7A53E1->n3-AppendLogResponseHandler: Failed appendEntries")))
                .as("another kind").isTrue();
    }

    @Test
    void helidonsWarningForEachDroppedConnectionIsLoggedOnceAMinute() {
        String connection = "io.helidon.webserver.http1.Http1Connection";
        assertThat(filter.isLoggable(warning(connection, "Internal server error"))).isTrue();
        for (int i = 0; i < 1_500; i++) {
            assertThat(filter.isLoggable(warning(connection, "Internal server error"))).isFalse();
        }
    }

    @Test
    void errorsAndTheWarningsOfOtherLoggersAreAlwaysLogged() {
        for (int i = 0; i < 10; i++) {
            LogRecord severe = warning(APPENDER, followerFailed("C59B5E7A53E1", 3, 1));
            severe.setLevel(Level.SEVERE);
            assertThat(filter.isLoggable(severe)).isTrue();
            assertThat(filter.isLoggable(warning("dev.oms.streaming.cluster.ReplicatedLog", "orders-0: in-sync replicas [1, 2]")))
                    .isTrue();
        }
    }
}
