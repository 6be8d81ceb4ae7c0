package dev.oms.streaming.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * This node's place in a cluster: its id and every node's Raft address, the same list on every
 * node ({@code 1@host:33145,2@host:33146,3@host:33147}). Node ids are Kafka broker ids. A
 * follower that has not caught up with its leader for {@code replicaLagTimeMaxMs} leaves the
 * partition's in-sync replicas (Kafka's {@code replica.lag.time.max.ms}). A node whose Raft
 * storage is gone while the others know it refuses to start unless {@code replaceLostStorage}
 * (see {@link RaftNode#start}).
 */
public record ClusterConfig(int nodeId, List<Peer> peers, long replicaLagTimeMaxMs, boolean replaceLostStorage) {
    /** Kafka's default for {@code replica.lag.time.max.ms}. */
    public static final long DEFAULT_REPLICA_LAG_TIME_MAX_MS = 30_000;

    public record Peer(int id, String host, int port) {
        public String address() {
            return host + ":" + port;
        }
    }

    public ClusterConfig {
        peers = List.copyOf(peers);
        if (peers.stream().noneMatch(p -> p.id() == nodeId)) {
            throw new IllegalArgumentException("node " + nodeId + " is not among the peers " + peers);
        }
        if (peers.stream().map(Peer::id).distinct().count() != peers.size()) {
            throw new IllegalArgumentException("two peers share an id: " + peers);
        }
        if (replicaLagTimeMaxMs < 1) {
            throw new IllegalArgumentException("the replica lag time must be positive, got " + replicaLagTimeMaxMs);
        }
    }

    public ClusterConfig withReplicaLagTimeMaxMs(long millis) {
        return new ClusterConfig(nodeId, peers, millis, replaceLostStorage);
    }

    public ClusterConfig withReplaceLostStorage(boolean replace) {
        return new ClusterConfig(nodeId, peers, replicaLagTimeMaxMs, replace);
    }

    /** Parses {@code id@host:port,…}; refuses anything else with the part it could not read. */
    public static ClusterConfig parse(int nodeId, String peers) {
        List<Peer> parsed = new ArrayList<>();
        for (String part : peers.split(",")) {
            String p = part.trim();
            int at = p.indexOf('@');
            int colon = p.lastIndexOf(':');
            if (at < 1 || colon < at + 2 || colon == p.length() - 1) {
                throw new IllegalArgumentException("a peer is id@host:port, got '" + p + "'");
            }
            try {
                int id = Integer.parseInt(p.substring(0, at));
                int port = Integer.parseInt(p.substring(colon + 1));
                if (id < 0 || id > 1023 || port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
                parsed.add(new Peer(id, p.substring(at + 1, colon), port));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("a peer is id@host:port with a node id 0-1023 and a port 1-65535, got '"
                        + p + "'");
            }
        }
        return new ClusterConfig(nodeId, parsed, DEFAULT_REPLICA_LAG_TIME_MAX_MS, false);
    }

    public Peer self() {
        return peers.stream().filter(p -> p.id() == nodeId).findFirst().orElseThrow();
    }
}
