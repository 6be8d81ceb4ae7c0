package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.EmbeddedBroker.Topic;
import dev.oms.streaming.cluster.ReplicatedLog;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * Metadata: this one node as broker and controller, and each topic with its id and partitions,
 * all led by this node. Unknown topics are created when auto-creation is on and the client allows it.
 */
final class MetadataHandler extends VersionedHandler<MetadataRequest> {
    private final EmbeddedBroker broker;
    private final KafkaListenerConfig config;

    MetadataHandler(EmbeddedBroker broker, KafkaListenerConfig config) {
        super(ApiKeys.METADATA, 0, 13);
        this.broker = broker;
        this.config = config;
    }

    @Override
    public MetadataResponse handle(RequestContext context, MetadataRequest request) throws Exception {
        MetadataRequestData data = request.data();
        MetadataResponseData response = new MetadataResponseData()
                .setClusterId(broker.clusterId())
                .setControllerId(ClusterView.controllerId(broker));
        List<ReplicatedLog.Node> nodes = ClusterView.brokers(broker, config);
        for (ReplicatedLog.Node node : nodes) {
            response.brokers().add(new MetadataResponseBroker().setNodeId(node.id()).setHost(node.host()).setPort(node.port()));
        }

        if (data.topics() == null) {
            for (Topic topic : broker.topics()) {
                response.topics().add(describe(topic, context.apiVersion(), nodes));
            }
        } else {
            for (MetadataRequestData.MetadataRequestTopic wanted : data.topics()) {
                response.topics().add(lookUp(wanted, data.allowAutoTopicCreation(), context.apiVersion(), nodes));
            }
        }
        return new MetadataResponse(response, context.apiVersion());
    }

    private MetadataResponseTopic lookUp(MetadataRequestData.MetadataRequestTopic wanted, boolean allowAutoCreate,
                                         short version, List<ReplicatedLog.Node> nodes) throws Exception {
        if (wanted.name() == null) {
            Uuid id = wanted.topicId();
            Optional<Topic> topic = broker.topicName(id).flatMap(broker::topic);
            return topic.map(t -> describe(t, version, nodes)).orElseGet(() -> new MetadataResponseTopic().setTopicId(id)
                    .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
        }
        String name = wanted.name();
        Optional<Topic> topic = broker.topic(name);
        if (topic.isEmpty() && allowAutoCreate && config.autoCreateTopics()) {
            try {
                broker.createTopic(name, config.defaultPartitions());
                topic = broker.topic(name);
            } catch (InvalidTopicException e) {
                return new MetadataResponseTopic().setName(name).setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code());
            }
        }
        return topic.map(t -> describe(t, version, nodes)).orElseGet(() -> new MetadataResponseTopic().setName(name)
                .setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()));
    }

    private MetadataResponseTopic describe(Topic topic, short version, List<ReplicatedLog.Node> nodes) {
        MetadataResponseTopic described = new MetadataResponseTopic().setName(topic.name()).setTopicId(topic.id())
                .setIsInternal(topic.name().startsWith("__")).setErrorCode(Errors.NONE.code());
        Optional<ReplicatedLog> cluster = broker.cluster();
        List<Integer> replicas = cluster.map(ReplicatedLog::replicas).orElse(List.of(KafkaListenerConfig.NODE_ID));
        for (int p = 0; p < topic.partitionCount(); p++) {
            TopicPartition tp = new TopicPartition(topic.name(), p);
            MetadataResponsePartition partition = new MetadataResponsePartition().setPartitionIndex(p)
                    .setReplicaNodes(replicas).setIsrNodes(cluster.map(c -> c.inSyncReplicas(tp)).orElse(replicas))
                    .setOfflineReplicas(new ArrayList<>());
            described.partitions().add(partition);
            if (cluster.isEmpty()) {
                // Versions before 7 have no leader epoch, and the codec refuses a value it cannot write.
                partition.setErrorCode(Errors.NONE.code()).setLeaderId(KafkaListenerConfig.NODE_ID)
                        .setLeaderEpoch(version >= 7 ? 0 : -1);
                continue;
            }
            // A leader clients cannot reach yet (no Kafka address announced) is no leader to them.
            Optional<ReplicatedLog.Leader> leader = cluster.get().leader(tp)
                    .filter(l -> nodes.stream().anyMatch(n -> n.id() == l.nodeId()));
            if (leader.isEmpty()) {
                partition.setErrorCode(Errors.LEADER_NOT_AVAILABLE.code()).setLeaderId(-1)
                        .setLeaderEpoch(version >= 7 ? 0 : -1);
            } else {
                partition.setErrorCode(Errors.NONE.code()).setLeaderId(leader.get().nodeId())
                        .setLeaderEpoch(version >= 7 ? leader.get().epoch() : -1);
            }
        }
        return described;
    }
}
