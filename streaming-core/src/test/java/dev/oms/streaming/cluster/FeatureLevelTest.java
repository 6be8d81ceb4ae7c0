package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.ratis.protocol.Message;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling upgrade: three brokers of a cluster in one JVM (real Raft over loopback, real
 * partition logs), one of them speaking as a build from before feature levels. The changes an
 * older build would skip or could not apply wait until every configured node has registered at
 * the level that brings them; the ones it knows go on meanwhile. A level read wrong heals when a
 * node starts.
 */
class FeatureLevelTest {
    private static final TopicPartition PAYMENTS = new TopicPartition("payments", 0);

    @TempDir
    Path dir;
    private InProcessCluster cluster;
    private List<EmbeddedBroker> brokers;

    @AfterEach
    void close() {
        cluster.close();
    }

    @Test
    void topicChangesAndDeleteRecordsWaitUntilEveryNodeRunsABuildThatAppliesThem() throws Exception {
        cluster = new InProcessCluster(dir);
        brokers = cluster.brokers;
        ReplicatedLog first = start(1);
        ReplicatedLog second = start(2);
        first.register("127.0.0.1", 9091, 0);
        second.register("127.0.0.1", 9092, 0);
        first.createTopic(PAYMENTS.topic(), 1, Map.of()); // every build applies topic creation
        assertThatThrownBy(() -> first.createPartitions(PAYMENTS.topic(), 2)).isInstanceOf(UnsupportedVersionException.class)
                .hasMessageContaining("node 3 has not registered");

        ReplicatedLog third = start(3);
        // What a build from before feature levels registers: no level.
        third.submitToController(Message.valueOf("""
                {"op":"register","node":{"id":3,"host":"127.0.0.1","kafkaPort":9093,"httpPort":0}}"""));
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> second.nodes().stream().anyMatch(node -> node.id() == 3)); // applied there too
        assertThatThrownBy(() -> second.createPartitions(PAYMENTS.topic(), 2)).isInstanceOf(UnsupportedVersionException.class)
                .hasMessageContaining("node 3 registered at feature level 0");
        assertThatThrownBy(() -> first.deleteTopic(PAYMENTS.topic(), null)).isInstanceOf(UnsupportedVersionException.class);
        assertThatThrownBy(() -> brokers.get(0).alterTopicConfig(PAYMENTS.topic(), List.of(new dev.oms.streaming.storage.TopicConfig
                .Change("retention.ms", org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET, "1000")), false, false))
                .isInstanceOf(UnsupportedVersionException.class).hasMessageContaining("AlterConfigs needs every node at feature level 2");
        EmbeddedBroker leader = leaderOf(PAYMENTS);
        for (int i = 0; i < 3; i++) {
            leader.appendAtLeader(PAYMENTS, MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(("p-" + i).getBytes(StandardCharsets.UTF_8)))).get(30, TimeUnit.SECONDS);
        }
        assertThatThrownBy(() -> leader.deleteRecordsBefore(PAYMENTS, 2).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(UnsupportedVersionException.class);
        assertThat(leader.logStartOffset(PAYMENTS)).isZero();

        third.register("127.0.0.1", 9093, 0); // node 3 upgraded
        for (ReplicatedLog node : List.of(first, second, third)) { // applied by the controller's leader first
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.featureLevel() == ControllerStateMachine.FEATURE_LEVEL);
        }
        assertThat(leaderOf(PAYMENTS).deleteRecordsBefore(PAYMENTS, 2).get(30, TimeUnit.SECONDS)).isEqualTo(2);

        // What a node holds of another may be stale (a snapshot an earlier build wrote keeps no
        // levels): here every node reads node 1 as from before levels, and refuses.
        // (Written again until seen: node 1's own re-registration, asked for by node 3's, may land after it.)
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            first.submitToController(Message.valueOf("""
                    {"op":"register","node":{"id":1,"host":"127.0.0.1","kafkaPort":9091,"httpPort":0}}"""));
            return second.featureLevel() == 0;
        });
        // A node that starts asks every other to register again: node 1 does, and all see it right.
        third.register("127.0.0.1", 9093, 0);
        for (ReplicatedLog node : List.of(first, second, third)) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> node.featureLevel() == ControllerStateMachine.FEATURE_LEVEL);
        }
        first.createPartitions(PAYMENTS.topic(), 2);
        brokers.get(1).alterTopicConfig(PAYMENTS.topic(), List.of(new dev.oms.streaming.storage.TopicConfig.Change(
                "retention.ms", org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET, "1000")), false, false);
        for (EmbeddedBroker broker : brokers) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> broker.hasPartition(new TopicPartition("payments", 1)));
        }
        second.deleteTopic(PAYMENTS.topic(), null);
        for (EmbeddedBroker broker : brokers) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !broker.hasPartition(PAYMENTS));
        }
    }

    private ReplicatedLog start(int id) throws Exception {
        return cluster.open(id).cluster().orElseThrow();
    }

    private EmbeddedBroker leaderOf(TopicPartition tp) {
        return cluster.leaderOf(tp);
    }
}
