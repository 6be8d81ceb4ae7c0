package dev.oms.streaming.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kcat (librdkafka), a client that shares no code with the broker, against it over TCP. */
class KcatTest {
    @TempDir
    Path dir;

    @Test
    void kcatListsMetadataProducesAndConsumes() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            fixture.broker.createTopic("kc", 1);

            JsonNode metadata = new ObjectMapper().readTree(kcat(fixture, null, "-L", "-J"));
            assertThat(metadata.get("brokers")).hasSize(1);
            assertThat(metadata.get("topics").findValuesAsText("topic")).contains("kc");

            kcat(fixture, "k1:hello\nk2:from\nk3:kcat\n", "-P", "-t", "kc", "-p", "0", "-K:", "-z", "snappy");
            List<String> javaRead = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = fixture.consumer()) {
                consumer.assign(List.of(new TopicPartition("kc", 0)));
                consumer.seekToBeginning(List.of(new TopicPartition("kc", 0)));
                long deadline = System.currentTimeMillis() + 30_000;
                while (javaRead.size() < 3 && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        javaRead.add(r.offset() + " " + new String(r.key(), StandardCharsets.UTF_8) + " "
                                + new String(r.value(), StandardCharsets.UTF_8));
                    }
                }
            }
            assertThat(javaRead).containsExactly("0 k1 hello", "1 k2 from", "2 k3 kcat");

            try (KafkaProducer<byte[], byte[]> producer = fixture.producer("zstd")) {
                producer.send(new ProducerRecord<>("kc", 0, KafkaClientsTest.bytes("k4"), KafkaClientsTest.bytes("from java"))).get();
            }
            String consumed = kcat(fixture, null, "-C", "-t", "kc", "-p", "0", "-o", "beginning", "-e", "-f", "%o %k %s\\n");
            assertThat(consumed.lines().toList()).containsExactly("0 k1 hello", "1 k2 from", "2 k3 kcat", "3 k4 from java");
        }
    }

    @Test
    void kcatBalancedConsumerSharesAGroupWithAJavaConsumer() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            fixture.broker.createTopic("shared", 4);
            java.util.Properties props = new java.util.Properties();
            props.put("bootstrap.servers", fixture.bootstrap());
            props.put("group.id", "mixed");
            props.put("auto.offset.reset", "earliest");
            props.put("heartbeat.interval.ms", "300");
            try (KafkaConsumer<byte[], byte[]> java = new KafkaConsumer<>(props,
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                java.subscribe(List.of("shared"));
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                    java.poll(Duration.ofMillis(100));
                    return java.assignment().size() == 4;
                });
                Process kcat = new ProcessBuilder("kcat", "-b", fixture.bootstrap(), "-G", "mixed", "-X",
                        "heartbeat.interval.ms=300", "-o", "beginning", "-f", "%p %o %s\n", "shared")
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                try {
                    // The group rebalances: the Java consumer gives up some of its four partitions to kcat.
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                        java.poll(Duration.ofMillis(100));
                        return java.assignment().size() == 2;
                    });
                    var group = fixture.groups.describe("mixed").orElseThrow();
                    assertThat(group.members()).hasSize(2);
                    assertThat(group.members()).anyMatch(m -> m.clientId() != null && m.clientId().contains("rdkafka"));
                } finally {
                    kcat.destroy();
                    kcat.waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static String kcat(BrokerFixture fixture, String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kcat", "-b", fixture.bootstrap(), "-m", "20"));
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new IOException("kcat is needed for this test: apt-get install kcat (.ci/run installs it)", e);
        }
        if (stdin != null) {
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("kcat finished").isTrue();
        assertThat(process.exitValue()).as("kcat exit code, output: " + out).isZero();
        return out;
    }
}
