package dev.oms.streaming.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.oms.streaming.BrokerConfig;
import dev.oms.streaming.BrokerMetrics;
import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;

/**
 * Brokers of one cluster in this JVM (real Raft over loopback ports, real partition logs, each
 * node under {@code <dir>/node-<id>/log}); closed in reverse order.
 */
final class InProcessCluster implements AutoCloseable {
    private final Path dir;
    private final List<ClusterConfig.Peer> peers;
    /** Index {@code id - 1}: node {@code id}'s broker, as last opened. */
    final List<EmbeddedBroker> brokers = new ArrayList<>();

    InProcessCluster(Path dir) throws IOException {
        this.dir = dir;
        this.peers = RaftNodeTest.peers();
    }

    /** Opens node {@code id}'s broker (again, in place of the one before, if it ran). */
    EmbeddedBroker open(int id) throws IOException {
        return open(id, RaftNodeTest.config(id, peers));
    }

    /** Opens node {@code id}'s broker with its replica lag time (replica.lag.time.max.ms) set. */
    EmbeddedBroker open(int id, long replicaLagTimeMaxMs) throws IOException {
        return open(id, RaftNodeTest.config(id, peers).withReplicaLagTimeMaxMs(replicaLagTimeMaxMs));
    }

    /** Opens node {@code id}'s broker on an empty disk in place of a lost one (cluster.replace-lost-storage). */
    EmbeddedBroker openReplacingLostStorage(int id) throws IOException {
        return open(id, RaftNodeTest.config(id, peers).withReplaceLostStorage(true));
    }

    private EmbeddedBroker open(int id, ClusterConfig config) throws IOException {
        EmbeddedBroker broker = EmbeddedBroker.open(home(id).resolve("log"), BrokerConfig.of(1, 1024),
                BrokerMetrics.unregistered(), config);
        if (brokers.size() >= id) {
            brokers.set(id - 1, broker);
        } else {
            brokers.add(broker);
        }
        return broker;
    }

    /** Opens nodes 1 to 3 and registers each with a Kafka address (port 9090 + id); once a majority runs. */
    void openThreeRegistered() throws IOException {
        for (int id = 1; id <= 3; id++) {
            open(id);
        }
        for (int id = 1; id <= 3; id++) { // once a majority runs: registering waits for the controller
            brokers.get(id - 1).cluster().orElseThrow().register("127.0.0.1", 9090 + id, 0);
        }
    }

    Path home(int id) {
        return dir.resolve("node-" + id);
    }

    /** The broker that leads {@code tp}, once one does (and is ready). */
    EmbeddedBroker leaderOf(TopicPartition tp) {
        return Awaitility.await().atMost(Duration.ofSeconds(30)).until(
                () -> brokers.stream().filter(b -> b.hasPartition(tp) && b.leads(tp)).findFirst(), java.util.Optional::isPresent)
                .orElseThrow();
    }

    @Override
    public void close() {
        brokers.reversed().forEach(EmbeddedBroker::close);
    }
}
