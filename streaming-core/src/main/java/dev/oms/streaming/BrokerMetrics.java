package dev.oms.streaming;

import java.util.function.Supplier;

import dev.oms.streaming.group.GroupCoordinator;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The broker's Prometheus metrics (names in docs/metrics.md): fsync time and group-commit size
 * per shard, appended records and bytes per topic, Kafka request latency per API, and — read
 * when scraped — log end offsets, log sizes and consumer-group lag per partition.
 *
 * <p>Threads: recording methods are called from shard and request threads; the client library's
 * metrics are safe for that.
 */
public final class BrokerMetrics {
    private final PrometheusRegistry registry;
    private final Histogram fsyncSeconds;
    private final Histogram groupCommitAppends;
    private final Counter appendedRecords;
    private final Counter appendedBytes;
    private final Counter fetchedBytes;
    private final Histogram requestSeconds;
    private final DistributionDataPoint[] requestByApi = new DistributionDataPoint[ApiKeys.values().length];

    public BrokerMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        fsyncSeconds = Histogram.builder().name("oms_broker_fsync_duration_seconds").unit(Unit.SECONDS)
                .help("Time of one fsync of a partition's active segment (one per group commit)")
                .classicExponentialUpperBounds(0.00005, 2, 16).register(registry);
        groupCommitAppends = Histogram.builder().name("oms_broker_group_commit_appends")
                .help("Appends acknowledged together by one group commit")
                .classicExponentialUpperBounds(1, 2, 12).register(registry);
        appendedRecords = Counter.builder().name("oms_broker_appended_records_total")
                .help("Records appended to the log").labelNames("topic").register(registry);
        appendedBytes = Counter.builder().name("oms_broker_appended_bytes_total").unit(Unit.BYTES)
                .help("Bytes of record batches appended to the log").labelNames("topic").register(registry);
        fetchedBytes = Counter.builder().name("oms_broker_fetched_bytes_total").unit(Unit.BYTES)
                .help("Bytes of record batches sent to Kafka consumers (Fetch responses)").labelNames("topic")
                .register(registry);
        requestSeconds = Histogram.builder().name("oms_broker_request_duration_seconds").unit(Unit.SECONDS)
                .help("Kafka protocol requests from receipt to response, by API (Produce includes the fsync, Fetch the long poll)")
                .labelNames("api").classicExponentialUpperBounds(0.0001, 2, 18).register(registry);
    }

    /** Metrics that go nowhere, for a broker nobody scrapes (tests, tools). */
    public static BrokerMetrics unregistered() {
        return new BrokerMetrics(new PrometheusRegistry());
    }

    public void onFsync(long nanos) {
        fsyncSeconds.observe(nanos / 1e9);
    }

    public void onGroupCommit(int appends) {
        groupCommitAppends.observe(appends);
    }

    public void onAppend(String topic, int records, int bytes) {
        appendedRecords.labelValues(topic).inc(records);
        appendedBytes.labelValues(topic).inc(bytes);
    }

    public void onFetch(String topic, int bytes) {
        fetchedBytes.labelValues(topic).inc(bytes);
    }

    public void onRequest(ApiKeys api, long nanos) {
        DistributionDataPoint point = requestByApi[api.ordinal()];
        if (point == null) {
            point = requestSeconds.labelValues(api.name);
            requestByApi[api.ordinal()] = point;
        }
        point.observe(nanos / 1e9);
    }

    /** Metrics read at each scrape from elsewhere (a cluster's Raft groups). */
    public void register(io.prometheus.metrics.model.registry.MultiCollector collector) {
        registry.register(collector);
    }

    /** Per-partition log end offsets and sizes, read from the broker at each scrape. */
    void registerLogGauges(EmbeddedBroker broker) {
        GaugeWithCallback.builder().name("oms_broker_log_end_offset")
                .help("The offset after the last durable record (the high watermark) of each partition")
                .labelNames("topic", "partition")
                .callback(cb -> forEachPartition(broker, tp -> cb.call(broker.highWatermark(tp), tp.topic(),
                        Integer.toString(tp.partition()))))
                .register(registry);
        GaugeWithCallback.builder().name("oms_broker_log_size_bytes").unit(Unit.BYTES)
                .help("Bytes held by each partition's segment files")
                .labelNames("topic", "partition")
                .callback(cb -> forEachPartition(broker, tp -> cb.call(broker.size(tp).bytes(), tp.topic(),
                        Integer.toString(tp.partition()))))
                .register(registry);
    }

    /** Committed offsets and lag (log end offset − committed) per consumer group and partition. */
    public void registerGroupGauges(Supplier<GroupCoordinator> groups) {
        GaugeWithCallback.builder().name("oms_consumer_group_lag")
                .help("Records of a partition a consumer group has not committed yet: log end offset - committed offset")
                .labelNames("group", "topic", "partition")
                .callback(cb -> groups.get().lag().forEach(l -> cb.call(l.lag(), l.groupId(), l.partition().topic(),
                        Integer.toString(l.partition().partition()))))
                .register(registry);
        GaugeWithCallback.builder().name("oms_consumer_group_committed_offset")
                .help("The offset a consumer group committed for a partition")
                .labelNames("group", "topic", "partition")
                .callback(cb -> groups.get().lag().forEach(l -> cb.call(l.committedOffset(), l.groupId(),
                        l.partition().topic(), Integer.toString(l.partition().partition()))))
                .register(registry);
    }

    private static void forEachPartition(EmbeddedBroker broker, java.util.function.Consumer<TopicPartition> action) {
        for (EmbeddedBroker.Topic topic : broker.topics()) {
            for (int p = 0; p < topic.partitionCount(); p++) {
                TopicPartition tp = new TopicPartition(topic.name(), p);
                if (broker.hasPartition(tp)) {
                    action.accept(tp);
                }
            }
        }
    }
}
