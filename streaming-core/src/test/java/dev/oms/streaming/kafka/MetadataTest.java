package dev.oms.streaming.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metadata as clients see it: the address the broker advertises, and topic auto-creation on and off. */
class MetadataTest {
    @TempDir
    Path dir;

    @Test
    void clientsAreToldTheAdvertisedAddressNotTheOneBound() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir, new KafkaListenerConfig("127.0.0.1", 0, "oms-1.example.com",
                19092, true, 3, 1 << 20)); KafkaWire wire = new KafkaWire("127.0.0.1", fixture.kafka.port())) {
            MetadataResponseData data = metadata(wire, "any", false).data();
            assertThat(data.brokers()).singleElement().satisfies(broker -> {
                assertThat(broker.host()).isEqualTo("oms-1.example.com");
                assertThat(broker.port()).isEqualTo(19092);
            });
            assertThat(data.controllerId()).isEqualTo(data.brokers().iterator().next().nodeId());
        }
    }

    @Test
    void aTopicAskedForIsCreatedWhenAutoCreationIsOnAndTheClientAllowsIt() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); KafkaWire wire = new KafkaWire("127.0.0.1", fixture.kafka.port())) {
            assertThat(topic(metadata(wire, "not-allowed", false)).errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            assertThat(fixture.broker.topic("not-allowed")).isEmpty();

            MetadataResponseData.MetadataResponseTopic created = topic(metadata(wire, "created", true));
            assertThat(Errors.forCode(created.errorCode())).isIn(Errors.NONE, Errors.LEADER_NOT_AVAILABLE);
            assertThat(fixture.broker.topic("created")).isPresent();
            assertThat(topic(metadata(wire, "created", false)).partitions()).as("the default partition count").hasSize(3);
        }
    }

    @Test
    void aTopicAskedForIsNotCreatedWhenAutoCreationIsOff() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir, new KafkaListenerConfig("127.0.0.1", 0, "127.0.0.1", 0, false, 3,
                1 << 20)); KafkaWire wire = new KafkaWire("127.0.0.1", fixture.kafka.port())) {
            assertThat(topic(metadata(wire, "wanted", true)).errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            assertThat(fixture.broker.topic("wanted")).isEmpty();
        }
    }

    private static MetadataResponse metadata(KafkaWire wire, String topic, boolean allowAutoCreation) throws Exception {
        return (MetadataResponse) wire.send(new MetadataRequest.Builder(List.of(topic), allowAutoCreation).build((short) 12));
    }

    private static MetadataResponseData.MetadataResponseTopic topic(MetadataResponse response) {
        return response.data().topics().iterator().next();
    }
}
