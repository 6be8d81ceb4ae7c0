package dev.oms.api.observe;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;

/**
 * Lets one Ratis or Helidon web server warning of a kind through a minute, and counts the rest.
 * (Helidon warns with a stack trace for each connection a client drops in the middle of its
 * headers: 1,501 of them after one flood of half-sent requests.) While a node is down,
 * every Raft group's appender on every other node warns at each retry, with a stack trace: some
 * thirty lines a second per node with a few topics, far more with many, burying everything else.
 * A kind is the message with its group ids and numbers left out (the peers named stay), so one
 * line a minute says that node 3 does not answer, and how many more said so.
 *
 * <p>Threads: called by every logging thread; the counts are kept per kind, atomically.
 */
final class RepeatedWarnings implements Filter {
    static final String RATIS = "org.apache.ratis";
    static final String HELIDON_WEBSERVER = "io.helidon.webserver";
    private static final Pattern GROUP = Pattern.compile("group-[0-9A-Fa-f]+");
    private static final Pattern NUMBER = Pattern.compile("\\b\\d+\\b");
    /** Kinds remembered at most; past that (messages that differ in more than numbers) they start over. */
    private static final int KINDS = 1_000;

    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /** One warning of a kind in {@code windowNanos}, the time read from {@code nanoTime}. */
    RepeatedWarnings(long windowNanos, LongSupplier nanoTime) {
        this.windowNanos = windowNanos;
        this.nanoTime = nanoTime;
    }

    /** One warning of a kind a minute. */
    RepeatedWarnings() {
        this(TimeUnit.MINUTES.toNanos(1), System::nanoTime);
    }

    /**
     * A kind's window: when its last logged warning was, how many were held back since, and
     * whether the warning that made it is logged (with {@code before} held back in the window it ends).
     */
    private record Window(long startNanos, int held, boolean logs, int before) {
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (record.getLevel().intValue() != Level.WARNING.intValue() || record.getLoggerName() == null
                || !(record.getLoggerName().startsWith(RATIS) || record.getLoggerName().startsWith(HELIDON_WEBSERVER))
                || record.getMessage() == null) {
            return true;
        }
        if (windows.size() > KINDS) {
            windows.clear();
        }
        long now = nanoTime.getAsLong();
        String kind = record.getLoggerName() + ' '
                + NUMBER.matcher(GROUP.matcher(record.getMessage()).replaceAll("group")).replaceAll("#");
        Window window = windows.compute(kind, (k, last) -> last == null || now - last.startNanos() >= windowNanos
                ? new Window(now, 0, true, last == null ? 0 : last.held())
                : new Window(last.startNanos(), last.held() + 1, false, 0));
        if (window.logs() && window.before() > 0) {
            record.setMessage(record.getMessage() + " (and " + window.before()
                    + " more like it" + (record.getLoggerName().startsWith(RATIS) ? ", of this or other Raft groups," : "")
                    + " since the last one logged)");
        }
        return window.logs();
    }
}
