package dev.oms.streaming.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each partition's replication as Prometheus sees it on a node of a cluster, read at each scrape:
 * who leads it, how many replicas it has and how many are in sync, how far the furthest follower
 * is behind (where this node leads), and where an acks=all produce spends its time, from Ratis'
 * own timers: the leader's whole write (submitted to answered: a majority has it durable and it is
 * applied), a follower's append (entries received to durable, the records' fsyncs included), and
 * each replica's flush.
 * The latter are summaries: their quantiles come from Ratis' sample (an exponentially decaying
 * reservoir, weighted to about the last five minutes while values come; none after ten minutes
 * without one), and Ratis keeps no sum of the times, so there is none. Each member shows the
 * timers of its role: the write on a leader, the append on a follower, the flush on both.
 * Under full produce load here a follower's append took about a third of a write's time; most of
 * the rest went between the nodes (docs/benchmarks.md).
 */
public final class RaftMetrics implements MultiCollector {
    /** Which members of a group show a timer. */
    private enum Role { LEADER, FOLLOWER, ANY }

    /** Ratis' timers shown, by the registry component and name Ratis gives them. */
    private enum RaftTimer {
        // Ratis times every write submitted to the member, refusals (not the leader) and failures too.
        WRITE("oms_raft_write_seconds", "server", "clientWriteRequest", Role.LEADER,
                "On a partition's leader: a write from submitted to answered (a majority has it durable, then it is applied), failed ones included"),
        FOLLOWER_APPEND("oms_raft_follower_append_seconds", "server", "follower_append_entry_latency", Role.FOLLOWER,
                "On a follower: an append of the leader's entries from received to durable (records and Raft's log), in order after the previous one"),
        FLUSH("oms_raft_log_flush_seconds", "log_worker", "flushTime", Role.ANY,
                "On every replica: one flush of Raft's log, the fsyncs of the records' segment and entry index first");

        final String metric;
        final String component;
        final String ratisName;
        final Role role;
        final String help;

        RaftTimer(String metric, String component, String ratisName, Role role, String help) {
            this.metric = metric;
            this.component = component;
            this.ratisName = ratisName;
            this.role = role;
            this.help = help;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(RaftMetrics.class);
    /**
     * A sample that took nothing new for this long shows no quantiles: Ratis' reservoir keeps its
     * values' weights while nothing comes, for hours, so an idle timer would show old times as now.
     */
    private static final long STALE_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** Each timer's count when it last changed, and when (weakly held: Ratis drops a removed group's timers). */
    private final Map<Timer, long[]> lastChange = Collections.synchronizedMap(new WeakHashMap<>());

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
        long now = System.nanoTime();
        cluster.groups().forEach((tp, group) -> {
            Labels labels = Labels.of("topic", tp.topic(), "partition", Integer.toString(tp.partition()));
            try {
                leader.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels)
                        .value(cluster.leader(tp).map(ReplicatedLog.Leader::nodeId).orElse(-1)).build());
                replicas.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(replicaCount).build());
                inSync.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels)
                        .value(cluster.inSyncReplicas(tp).size()).build());
                // Followers not heard from since this node took the lead (-1) are no lag known.
                cluster.followerLag(tp).flatMap(behind -> Arrays.stream(behind).filter(l -> l >= 0).boxed().max(Long::compare))
                        .ifPresent(max -> lag.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels)
                                .value(max).build()));
                if (raft == null) {
                    return;
                }
                Role role = raft.leadership(group) == RaftNode.Leadership.NONE ? Role.FOLLOWER : Role.LEADER;
                List<RatisMetricRegistry> registries = raft.metricRegistries(group);
                for (RaftTimer t : RaftTimer.values()) {
                    if (t.role == Role.ANY || t.role == role) {
                        timer(registries, t).ifPresent(timer -> timers.get(t).dataPoint(summary(timer, labels, now)));
                    }
                }
            } catch (RuntimeException e) { // a group changing under the scrape: the other partitions still show
                LOG.debug("no Raft metrics for {} in this scrape", tp, e);
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
                String suffix = "." + t.ratisName; // Ratis names it after the member: ratis.server.n1@group-….clientWriteRequest
                var found = impl.getDropWizardMetricRegistry().getTimers((name, metric) -> name.endsWith(suffix)).values();
                if (!found.isEmpty()) {
                    return Optional.of(found.iterator().next());
                }
            }
        }
        return Optional.empty();
    }

    private SummarySnapshot.SummaryDataPointSnapshot summary(Timer timer, Labels labels, long now) {
        long count = timer.getCount();
        long[] last = lastChange.computeIfAbsent(timer, t -> new long[] {count, now});
        boolean stale;
        synchronized (last) {
            if (last[0] != count) {
                last[0] = count;
                last[1] = now;
            }
            stale = now - last[1] > STALE_NANOS;
        }
        // Nothing timed yet, or nothing for long: no quantiles, as Prometheus' own summaries show them.
        double median = Double.NaN;
        double p99 = Double.NaN;
        if (count > 0 && !stale) {
            Snapshot sample = timer.getSnapshot(); // a copy of the reservoir, in nanoseconds
            median = sample.getMedian() / 1e9;
            p99 = sample.get99thPercentile() / 1e9;
        }
        return SummarySnapshot.SummaryDataPointSnapshot.builder().labels(labels).count(count)
                .quantiles(Quantiles.of(new Quantile(0.5, median), new Quantile(0.99, p99)))
                .build();
    }
}
