package dev.oms.streaming.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.thirdparty.com.codahale.metrics.Snapshot;
import org.apache.ratis.thirdparty.com.codahale.metrics.Timer;

/**
 * Each partition's replication as Prometheus sees it on a node of a cluster, read at each scrape:
 * who leads it, how many replicas it has and how many are in sync, how far the furthest follower is behind (where this
 * node leads), and where an acks=all produce spends its time, from Ratis' own timers: the leader's
 * whole write (submitted to answered: a majority has it durable and it is applied), a follower's
 * append (entries received to durable, the records' fsyncs included), and each replica's flush.
 * The latter are summaries: their quantiles come from Ratis' sample (an exponentially decaying
 * reservoir, about the last five minutes), and Ratis keeps no sum of the times, so there is none.
 * Under full produce load here a follower's append took about a third of a write's time; most of
 * the rest went between the nodes (docs/benchmarks.md).
 */
public final class RaftMetrics implements MultiCollector {
    /** Ratis' timers shown, by the registry component and name Ratis gives them. */
    private enum RaftTimer {
        WRITE("oms_raft_write_seconds", "server", "clientWriteRequest",
                "On a partition's leader: a write from submitted to answered (a majority has it durable, then it is applied)"),
        FOLLOWER_APPEND("oms_raft_follower_append_seconds", "server", "follower_append_entry_latency",
                "On a follower: an append of the leader's entries from received to durable (records and Raft's log), in order after the previous one"),
        FLUSH("oms_raft_log_flush_seconds", "log_worker", "flushTime",
                "On every replica: one flush of Raft's log, the fsyncs of the records' segment and entry index first");

        final String metric;
        final String component;
        final String ratisName;
        final String help;

        RaftTimer(String metric, String component, String ratisName, String help) {
            this.metric = metric;
            this.component = component;
            this.ratisName = ratisName;
            this.help = help;
        }
    }

    private final ReplicatedLog cluster;

    public RaftMetrics(ReplicatedLog cluster) {
        this.cluster = cluster;
    }

    @Override
    public MetricSnapshots collect() {
        GaugeSnapshot.Builder leader = GaugeSnapshot.builder().name("oms_raft_partition_leader")
                .help("The node leading each partition's Raft group, as this node knows it; -1 when none is known");
        GaugeSnapshot.Builder replicas = GaugeSnapshot.builder().name("oms_raft_replicas")
                .help("Replicas of each partition (every node of the cluster holds one)");
        GaugeSnapshot.Builder inSync = GaugeSnapshot.builder().name("oms_raft_in_sync_replicas")
                .help("Replicas of each partition in sync with its leader (the ISR its leader last reported)");
        GaugeSnapshot.Builder lag = GaugeSnapshot.builder().name("oms_raft_follower_lag_max_entries")
                .help("On a partition's leader: Raft entries the furthest follower is behind it");
        Map<RaftTimer, SummarySnapshot.Builder> timers = new EnumMap<>(RaftTimer.class);
        for (RaftTimer t : RaftTimer.values()) {
            timers.put(t, SummarySnapshot.builder().name(t.metric).unit(Unit.SECONDS).help(t.help));
        }
        int replicaCount = cluster.replicas().size();
        RaftNode raft = cluster.raftNode();
        cluster.groups().forEach((tp, group) -> {
            Labels labels = Labels.of("topic", tp.topic(), "partition", Integer.toString(tp.partition()));
            leader.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels)
                    .value(cluster.leader(tp).map(ReplicatedLog.Leader::nodeId).orElse(-1)).build());
            replicas.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(replicaCount).build());
            inSync.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels)
                    .value(cluster.inSyncReplicas(tp).size()).build());
            cluster.followerLag(tp).ifPresent(behind -> lag.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(labels).value(Arrays.stream(behind).max().orElse(0)).build()));
            List<RatisMetricRegistry> registries = raft == null ? List.of() : raft.metricRegistries(group);
            for (RaftTimer t : RaftTimer.values()) {
                timer(registries, t).ifPresent(timer -> timers.get(t).dataPoint(summary(timer, labels)));
            }
        });
        List<MetricSnapshot> all = new ArrayList<>(
                List.of(leader.build(), replicas.build(), inSync.build(), lag.build()));
        timers.values().forEach(b -> all.add(b.build()));
        return new MetricSnapshots(all);
    }

    /** The group member's timer, if Ratis made it yet (a follower's once the leader sent it entries). */
    private static Optional<Timer> timer(List<RatisMetricRegistry> registries, RaftTimer t) {
        for (RatisMetricRegistry registry : registries) {
            if (registry.getMetricRegistryInfo().getMetricsComponentName().equals(t.component)
                    && registry instanceof RatisMetricRegistryImpl impl) {
                for (Map.Entry<String, Timer> timer : impl.getDropWizardMetricRegistry().getTimers().entrySet()) {
                    if (timer.getKey().endsWith("." + t.ratisName)) {
                        return Optional.of(timer.getValue());
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static SummarySnapshot.SummaryDataPointSnapshot summary(Timer timer, Labels labels) {
        long count = timer.getCount();
        Snapshot sample = timer.getSnapshot(); // nanoseconds
        // Nothing timed yet (a follower's write timer): no quantiles, as Prometheus' own summaries show them.
        double median = count == 0 ? Double.NaN : sample.getMedian() / 1e9;
        double p99 = count == 0 ? Double.NaN : sample.get99thPercentile() / 1e9;
        return SummarySnapshot.SummaryDataPointSnapshot.builder().labels(labels).count(count)
                .quantiles(Quantiles.of(new Quantile(0.5, median), new Quantile(0.99, p99)))
                .build();
    }
}
