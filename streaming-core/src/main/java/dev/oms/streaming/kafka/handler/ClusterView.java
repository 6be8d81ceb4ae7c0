package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.List;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.cluster.ReplicatedLog;
import dev.oms.streaming.kafka.KafkaListenerConfig;

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

    static List<ReplicatedLog.Node> brokers(EmbeddedBroker broker, KafkaListenerConfig config) {
        ReplicatedLog.Node self = new ReplicatedLog.Node(selfId(broker), config.advertisedHost(), config.advertisedPort(), 0);
        List<ReplicatedLog.Node> nodes = new ArrayList<>();
        nodes.add(self);
        broker.cluster().ifPresent(c -> c.nodes().stream().filter(n -> n.id() != self.id()).forEach(nodes::add));
        return nodes;
    }
}
