package dev.oms.api;

import java.net.URI;
import java.util.List;
import java.util.Optional;

import dev.oms.api.http.Forwarder;
import dev.oms.engine.log.Topics;
import dev.oms.streaming.cluster.ReplicatedLog;
import org.apache.kafka.common.TopicPartition;

/** The HTTP addresses of a cluster's nodes, as each announced them to the controller. */
final class ClusterNodes implements Forwarder.Nodes {
    private final ReplicatedLog cluster;

    ClusterNodes(ReplicatedLog cluster) {
        this.cluster = cluster;
    }

    @Override
    public Optional<URI> leaderOf(int partition) {
        return cluster.leader(new TopicPartition(Topics.ORDERS, partition))
                .flatMap(leader -> cluster.nodes().stream().filter(n -> n.id() == leader.nodeId()).findFirst())
                .filter(node -> node.httpPort() > 0)
                .map(ClusterNodes::http);
    }

    @Override
    public List<URI> all() {
        return cluster.nodes().stream().filter(node -> node.httpPort() > 0).map(ClusterNodes::http).toList();
    }

    private static URI http(ReplicatedLog.Node node) {
        return URI.create("http://" + node.host() + ":" + node.httpPort());
    }
}
