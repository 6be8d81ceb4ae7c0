package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.cluster.ReplicatedLog;
import dev.oms.streaming.group.OffsetStore;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import org.apache.kafka.common.TopicPartition;

/**
 * The brokers a client is told about: this node alone, or in cluster mode every node that
 * announced its Kafka address (this one always included).
 */
final class ClusterView {
    private ClusterView() {
    }

    static int selfId(EmbeddedBroker broker) {
        return broker.cluster().map(ReplicatedLog::nodeId).orElse(KafkaListenerConfig.NODE_ID);
    }

    static int controllerId(EmbeddedBroker broker) {
        return broker.cluster().map(ReplicatedLog::controllerId).orElse(KafkaListenerConfig.NODE_ID);
    }

    /**
     * In a cluster, the leader of the partition of {@code __consumer_offsets} that holds a group's
     * offsets: its coordinator, as in Kafka. Empty before the topic is open or a leader elected.
     */
    static Optional<ReplicatedLog.Leader> coordinator(EmbeddedBroker broker, String group) {
        return broker.cluster().flatMap(cluster -> broker.topic(OffsetStore.TOPIC).flatMap(offsets -> cluster.leader(
                new TopicPartition(OffsetStore.TOPIC, OffsetStore.partitionFor(group, offsets.partitionCount())))));
    }

    static List<ReplicatedLog.Node> brokers(EmbeddedBroker broker, KafkaListenerConfig config) {
        ReplicatedLog.Node self = new ReplicatedLog.Node(selfId(broker), config.advertisedHost(), config.advertisedPort(), 0, -1);
        List<ReplicatedLog.Node> nodes = new ArrayList<>();
        nodes.add(self);
        broker.cluster().ifPresent(c -> c.nodes().stream().filter(n -> n.id() != self.id()).forEach(nodes::add));
        return nodes;
    }
}
