package dev.oms.engine.event;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.log.Topics;

/**
 * Follows {@code order-events} from the moment it is created, handing over the execution reports
 * of one account as they become durable: the source of a live stream for a client.
 *
 * <p>Threads: one reader (the stream's request thread).
 */
public final class ExecutionReportFollower {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ExecutionReportFollower.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OrderLog log;
    private final String account;
    private final long[] positions;

    public ExecutionReportFollower(OrderLog log, String account) {
        this.log = log;
        this.account = account;
        this.positions = new long[log.partitionCount()];
        for (int p = 0; p < positions.length; p++) {
            positions[p] = log.endOffset(Topics.ORDER_EVENTS, p);
        }
    }

    /** A report: its JSON, its type and its event id. */
    public record Report(String eventId, String type, String json) {
    }

    /** The account's reports that arrived since the last call, in order per partition. */
    public List<Report> poll() {
        List<Report> reports = new ArrayList<>();
        for (int p = 0; p < positions.length; p++) {
            int partition = p;
            try {
                log.pollTopic(Topics.ORDER_EVENTS, p, positions[p], 256 * 1024, (part, offset, timestamp, key, value, headers) -> {
                    positions[partition] = offset + 1;
                    JsonNode report = parse(value);
                    if (report != null && account.equals(report.path("account").asText())) {
                        reports.add(new Report(report.path("eventId").asText(), report.path("type").asText(), report.toString()));
                    }
                });
            } catch (dev.oms.streaming.client.CorruptBatchException e) {
                // The reports already taken still go out; the damaged batch's are lost to this stream
                // (the engine's state and the order's GET still have what they said).
                LOG.error("{}; its execution reports are skipped in the stream of account {}", e.getMessage(), account);
                positions[partition] = e.nextOffset();
            }
        }
        return reports;
    }

    private static JsonNode parse(ByteBuffer value) {
        try {
            byte[] bytes = new byte[value.remaining()];
            value.get(bytes);
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return null; // not a report this build can read: skipped
        }
    }
}
