package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.storage.InvalidBatchException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Produce: every partition's batch goes to the log at once, so one request's partitions share
 * group commits, and in the order requests arrive on the connection, so an idempotent producer's
 * pipelined batches reach a partition in sequence; the answer waits until each is durable. With
 * acks=0 nothing is answered.
 */
final class ProduceHandler extends VersionedHandler<ProduceRequest> {
    private final EmbeddedBroker broker;

    ProduceHandler(EmbeddedBroker broker) {
        super(ApiKeys.PRODUCE, 3, 13);
        this.broker = broker;
    }

    private record Pending(TopicPartition partition, PartitionProduceResponse response, CompletableFuture<Long> append) {
    }

    @Override
    public ProduceResponse handle(RequestContext context, ProduceRequest request) throws Exception {
        return (ProduceResponse) startInOrder(context, request).get();
    }

    /**
     * Every record of every batch can be read: a batch whose CRC matches its bytes may still hold
     * a record count that lies, varints that run past the batch, or a codec that is not one (or
     * gzip that is not). Kafka refuses those at produce (its LogValidator); stored, no consumer got
     * past them, and on {@code orders} the engine stopped the partition, at every start again.
     */
    static void requireReadable(MemoryRecords records) {
        for (org.apache.kafka.common.record.internal.MutableRecordBatch batch : records.batches()) {
            Integer declared = batch.countOrNull();
            int read = 0;
            try (var each = records(batch)) {
                while (each.hasNext()) {
                    each.next();
                    read++;
                }
            } catch (RuntimeException e) { // CorruptRecordException, InvalidRecordException, a KafkaException wrapping a bad codec
                throw new InvalidBatchException("a record of the batch at offset " + batch.baseOffset()
                        + " cannot be read: " + e.getMessage());
            }
            if (declared != null && declared != read) {
                throw new InvalidBatchException("the batch declares " + declared + " records and holds " + read);
            }
        }
    }

    /**
     * The topic's limits on what a client may produce, as Kafka's LogValidator applies them: a batch
     * over max.message.bytes is MESSAGE_TOO_LARGE; a record whose CreateTime lies further than
     * message.timestamp.after.max.ms ahead of the broker's clock (or before.max.ms behind it) is
     * INVALID_TIMESTAMP. Records without a timestamp pass.
     */
    static void requireWithinLimits(MemoryRecords records, dev.oms.streaming.storage.TopicConfig limits, long now) {
        long latest = limits.timestampAfterMaxMs() > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + limits.timestampAfterMaxMs();
        long earliest = limits.timestampBeforeMaxMs() >= now ? Long.MIN_VALUE : now - limits.timestampBeforeMaxMs();
        for (org.apache.kafka.common.record.internal.MutableRecordBatch batch : records.batches()) {
            if (batch.sizeInBytes() > limits.maxMessageBytes()) {
                throw new org.apache.kafka.common.errors.RecordTooLargeException("the batch at offset " + batch.baseOffset()
                        + " is " + batch.sizeInBytes() + " bytes, over the topic's max.message.bytes of " + limits.maxMessageBytes());
            }
            if (batch.timestampType() != org.apache.kafka.common.record.TimestampType.CREATE_TIME) {
                continue;
            }
            if (batch.maxTimestamp() > latest || (earliest != Long.MIN_VALUE && outOfRange(batch, earliest))) {
                throw new org.apache.kafka.common.errors.InvalidTimestampException("a record of the batch at offset "
                        + batch.baseOffset() + " has a CreateTime outside [" + earliest + ", " + latest + "], the broker's"
                        + " time " + now + " less message.timestamp.before.max.ms and plus message.timestamp.after.max.ms");
            }
        }
    }

    private static boolean outOfRange(org.apache.kafka.common.record.internal.MutableRecordBatch batch, long earliest) {
        try (var each = records(batch)) {
            while (each.hasNext()) {
                long timestamp = each.next().timestamp();
                if (timestamp != org.apache.kafka.common.record.internal.RecordBatch.NO_TIMESTAMP && timestamp < earliest) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The batch's records with their keys and values skipped, not copied out (as Kafka's LogValidator reads them). */
    private static org.apache.kafka.common.utils.CloseableIterator<org.apache.kafka.common.record.internal.Record> records(
            org.apache.kafka.common.record.internal.MutableRecordBatch batch) {
        org.apache.kafka.common.utils.BufferSupplier buffers = DECOMPRESSION_BUFFERS.get();
        return batch instanceof org.apache.kafka.common.record.internal.DefaultRecordBatch v2
                ? v2.skipKeyValueIterator(buffers) : batch.streamingIterator(buffers);
    }

    /** Per connection thread: a compressed batch's decompression buffers are reused, not allocated each time. */
    private static final ThreadLocal<org.apache.kafka.common.utils.BufferSupplier> DECOMPRESSION_BUFFERS =
            ThreadLocal.withInitial(org.apache.kafka.common.utils.BufferSupplier::create);

    private static void reject(PartitionProduceResponse response, Errors error, String message, boolean errorMessages) {
        response.setErrorCode(error.code());
        if (errorMessages) {
            response.setErrorMessage(message);
        }
    }

    /**
     * Hands every partition's batch to the log at once (so one request's partitions share group
     * commits) and in the order requests arrived; the answer completes when each is durable.
     */
    @Override
    public CompletableFuture<AbstractResponse> startInOrder(RequestContext context, ProduceRequest request) {
        boolean errorMessages = context.apiVersion() >= 8;
        ProduceRequestData data = request.data();
        ProduceResponseData response = new ProduceResponseData();
        List<Pending> pending = new ArrayList<>();
        for (ProduceRequestData.TopicProduceData topicData : data.topicData()) {
            Optional<String> name = topicData.name() == null || topicData.name().isEmpty()
                    ? broker.topicName(topicData.topicId()) : Optional.of(topicData.name());
            TopicProduceResponse topicResponse = new TopicProduceResponse()
                    .setName(topicData.name()).setTopicId(topicData.topicId());
            response.responses().add(topicResponse);
            for (ProduceRequestData.PartitionProduceData partitionData : topicData.partitionData()) {
                PartitionProduceResponse partitionResponse = new PartitionProduceResponse()
                        .setIndex(partitionData.index()).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
                topicResponse.partitionResponses().add(partitionResponse);
                if (name.isEmpty() || !broker.hasPartition(new TopicPartition(name.get(), partitionData.index()))) {
                    partitionResponse.setErrorCode((topicData.name() == null || topicData.name().isEmpty()
                            ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
                    continue;
                }
                if (org.apache.kafka.common.internals.Topic.isInternal(name.get())) {
                    // The broker's own (committed offsets): a record it cannot read stopped every start.
                    reject(partitionResponse, Errors.INVALID_TOPIC_EXCEPTION, "Cannot append to internal topic " + name.get(),
                            errorMessages);
                    continue;
                }
                Optional<String> refused = broker.producesRefused(name.get());
                if (refused.isPresent()) {
                    reject(partitionResponse, Errors.POLICY_VIOLATION, refused.get(), errorMessages);
                    continue;
                }
                if (!(partitionData.records() instanceof MemoryRecords records)) {
                    partitionResponse.setErrorCode(Errors.CORRUPT_MESSAGE.code());
                    continue;
                }
                try {
                    requireReadable(records);
                    requireWithinLimits(records, broker.topic(name.get()).orElseThrow(
                            () -> new org.apache.kafka.common.errors.UnknownTopicOrPartitionException("topic " + name.get() + " was deleted")).config(),
                            System.currentTimeMillis());
                } catch (InvalidBatchException e) {
                    reject(partitionResponse, Errors.CORRUPT_MESSAGE, e.getMessage(), errorMessages);
                    continue;
                } catch (org.apache.kafka.common.errors.ApiException e) {
                    reject(partitionResponse, Errors.forException(e), e.getMessage(), errorMessages);
                    continue;
                }
                TopicPartition tp = new TopicPartition(name.get(), partitionData.index());
                CompletableFuture<Long> append;
                try {
                    append = broker.append(tp, records);
                } catch (RuntimeException e) {
                    append = CompletableFuture.failedFuture(e);
                }
                pending.add(new Pending(tp, partitionResponse, append));
            }
        }
        if (data.acks() == 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?>[] appends = pending.stream().map(Pending::append).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(appends).handle((ignored, failure) -> {
            for (Pending p : pending) {
                try {
                    p.response.setBaseOffset(p.append.join()).setErrorCode(Errors.NONE.code())
                            .setLogStartOffset(logStartOffset(p.partition));
                } catch (CompletionException e) {
                    Throwable cause = e.getCause();
                    Errors error = cause instanceof InvalidBatchException ? Errors.CORRUPT_MESSAGE : Errors.forException(cause);
                    p.response.setErrorCode(error.code());
                    if (errorMessages) {
                        p.response.setErrorMessage(cause.getMessage());
                    }
                }
            }
            return new ProduceResponse(response);
        });
    }

    /** Where the partition now starts (what a producer learns of retention), or -1 if it went meanwhile. */
    private long logStartOffset(TopicPartition tp) {
        try {
            return broker.logStartOffset(tp);
        } catch (RuntimeException deleted) {
            return -1;
        }
    }
}
