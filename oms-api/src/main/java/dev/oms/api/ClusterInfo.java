package dev.oms.api;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.cluster.ReplicatedLog;
import org.apache.kafka.common.TopicPartition;

/**
 * What {@code GET /cluster} and {@code ./oms cluster info} show: the nodes (each with the feature
 * level of its build), the controller, the feature level the whole cluster is at, and for each
 * partition its leader, its leader epoch, its in-sync replicas and, where this node leads, how
 * many Raft entries each follower is behind.
 */
record ClusterInfo(int node, int controller, int featureLevel, Collection<ReplicatedLog.Node> nodes,
                   List<Partition> partitions) {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Partition(String topic, int partition, int leader, int epoch, List<Integer> isr, long[] followerLag) {
    }

    static ClusterInfo of(EmbeddedBroker broker) {
        ReplicatedLog cluster = broker.cluster().orElseThrow();
        List<Partition> partitions = new ArrayList<>();
        for (EmbeddedBroker.Topic topic : broker.topics()) {
            for (int p = 0; p < topic.partitionCount(); p++) {
                TopicPartition tp = new TopicPartition(topic.name(), p);
                var leader = cluster.leader(tp);
                partitions.add(new Partition(topic.name(), p, leader.map(ReplicatedLog.Leader::nodeId).orElse(-1),
                        leader.map(ReplicatedLog.Leader::epoch).orElse(-1), cluster.inSyncReplicas(tp),
                        cluster.followerLag(tp).orElse(null)));
            }
        }
        return new ClusterInfo(cluster.nodeId(), cluster.controllerId(), cluster.featureLevel(), cluster.nodes(), partitions);
    }

    String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
