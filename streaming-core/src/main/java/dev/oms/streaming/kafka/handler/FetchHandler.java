package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.EmbeddedBroker.Topic;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Fetch: durable batches straight from the segment files (the response carries file regions,
 * sent with {@code transferTo}, never copied through the heap), honouring the request's
 * {@code max.bytes} and each partition's; long-polls until {@code min.bytes} have arrived or
 * {@code max.wait.ms} has passed. Fetch sessions are not kept: session id 0 tells the client to
 * send full requests.
 */
final class FetchHandler extends VersionedHandler<FetchRequest> {
    private final EmbeddedBroker broker;

    FetchHandler(EmbeddedBroker broker) {
        super(ApiKeys.FETCH, 4, 18);
        this.broker = broker;
    }

    @Override
    public FetchResponse handle(RequestContext context, FetchRequest request) throws Exception {
        Map<Uuid, String> names = new HashMap<>();
        for (Topic topic : broker.topics()) {
            names.put(topic.id(), topic.name());
        }
        Map<TopicIdPartition, FetchRequest.PartitionData> wanted = request.fetchData(names);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, request.maxWait()));
        while (true) {
            List<CompletableFuture<Void>> moved = new ArrayList<>(wanted.size());
            LinkedHashMap<TopicIdPartition, FetchResponseData.PartitionData> response = new LinkedHashMap<>();
            int bytes = 0;
            for (Map.Entry<TopicIdPartition, FetchRequest.PartitionData> entry : wanted.entrySet()) {
                TopicIdPartition tip = entry.getKey();
                FetchResponseData.PartitionData data = read(tip, entry.getValue(), request.maxBytes() - bytes, bytes > 0, moved);
                bytes += FetchResponse.recordsSize(data);
                response.put(tip, data);
            }
            long remaining = deadline - System.nanoTime();
            if (bytes >= request.minBytes() || remaining <= 0 || moved.isEmpty()) {
                if (bytes > 0) {
                    response.forEach((tip, data) -> {
                        int size = FetchResponse.recordsSize(data);
                        if (size > 0) {
                            broker.metrics().onFetch(tip.topic(), size);
                        }
                    });
                }
                return FetchResponse.of(Errors.NONE, 0, 0, response, List.of());
            }
            try {
                CompletableFuture.anyOf(moved.toArray(CompletableFuture[]::new)).get(remaining, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // max.wait.ms is up: the next pass answers with what there is
                deadline = System.nanoTime();
            }
        }
    }

    private FetchResponseData.PartitionData read(TopicIdPartition tip, FetchRequest.PartitionData wanted, int bytesLeft,
                                                 boolean haveSome, List<CompletableFuture<Void>> moved) {
        FetchResponseData.PartitionData data = new FetchResponseData.PartitionData()
                .setPartitionIndex(tip.partition()).setRecords(MemoryRecords.EMPTY);
        if (tip.topic() == null || !broker.hasPartition(tip.topicPartition())) {
            return data.setErrorCode((tip.topic() == null ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
        }
        TopicPartition tp = tip.topicPartition();
        // Taken before reading, so data that lands after the read still wakes this fetch.
        moved.add(broker.highWatermarkMoved(tp));
        long highWatermark = broker.highWatermark(tp);
        data.setHighWatermark(highWatermark).setLastStableOffset(highWatermark).setLogStartOffset(broker.logStartOffset(tp));
        if (wanted.fetchOffset < broker.logStartOffset(tp)) {
            return data.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
        }
        if (wanted.fetchOffset > highWatermark) {
            // Past what this node has made visible. In a cluster a node that does not (yet) lead may
            // be behind what the consumer read elsewhere: it sends the consumer to the leader rather
            // than have it reset its position. A leader answers like Kafka: nothing yet below its log
            // end (the fetch waits), out of range past it.
            if (!broker.leads(tp)) {
                return data.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            }
            if (wanted.fetchOffset > broker.logEndOffset(tp)) {
                return data.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
            }
            return data.setErrorCode(Errors.NONE.code());
        }
        int limit = Math.min(wanted.maxBytes, bytesLeft);
        if (limit <= 0) {
            return data.setErrorCode(Errors.NONE.code());
        }
        Records records = broker.read(tp, wanted.fetchOffset, limit);
        // Only the first partition with data may exceed the limit by its first batch, as in Kafka.
        if (haveSome && records.sizeInBytes() > limit) {
            records = MemoryRecords.EMPTY;
        }
        return data.setErrorCode(Errors.NONE.code()).setRecords(records);
    }
}
