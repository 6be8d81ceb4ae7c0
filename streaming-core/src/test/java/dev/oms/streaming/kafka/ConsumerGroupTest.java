package dev.oms.streaming.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.oms.streaming.group.GroupCoordinator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Consumer groups of real kafka-clients consumers against the broker's group coordinator. */
class ConsumerGroupTest {
    private static final String TOPIC = "work";

    @TempDir
    Path dir;

    /** A consumer on its own thread that commits what it processed, also before giving partitions up. */
    private static final class Member implements AutoCloseable {
        final KafkaConsumer<String, String> consumer;
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        Member(BrokerFixture fixture, String group, String assignor, String instanceId, Collection<String> seen) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, fixture.bootstrap());
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor);
            props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
            props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000);
            if (instanceId != null) {
                props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
            }
            consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
            thread = new Thread(() -> {
                consumer.subscribe(List.of(TOPIC), new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        consumer.commitSync();
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    }
                });
                while (running.get()) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                        seen.add(record.value());
                    }
                    try {
                        consumer.commitSync();
                    } catch (RebalanceInProgressException e) {
                        // Between JoinGroup and SyncGroup: the next poll finishes the rebalance, the next commit lands.
                    }
                }
                consumer.close();
            }, "member-" + group);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(60_000);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"range (eager)", "cooperative-sticky"})
    void everyRecordIsConsumedExactlyOnceAcrossTheGroupWhileMembersJoinAndLeave(String protocol) throws Exception {
        String assignor = protocol.startsWith("range") ? RangeAssignor.class.getName() : CooperativeStickyAssignor.class.getName();
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            createTopic(fixture, 6);
            ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
            Member a = new Member(fixture, "g", assignor, null, seen);
            produce(fixture, 0, 1000);
            Member b = new Member(fixture, "g", assignor, null, seen);
            produce(fixture, 1000, 1000);
            Member c = new Member(fixture, "g", assignor, null, seen);
            produce(fixture, 2000, 1000);
            await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() >= 3000);
            a.close(); // leaves the group; its partitions move to b and c
            produce(fixture, 3000, 1000);
            await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() >= 4000);
            b.close();
            c.close();

            assertThat(seen).hasSize(4000).doesNotHaveDuplicates();
            assertThat(fixture.groups.lag()).allMatch(l -> l.lag() == 0);
        }
    }

    @Test
    void restartedBrokerResumesTheGroupFromItsCommittedOffsets() throws Exception {
        ConcurrentLinkedQueue<String> first = new ConcurrentLinkedQueue<>();
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            createTopic(fixture, 3);
            produce(fixture, 0, 600);
            try (Member m = new Member(fixture, "resume", RangeAssignor.class.getName(), null, first)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> first.size() >= 600);
            }
            produce(fixture, 600, 300);
        }
        ConcurrentLinkedQueue<String> second = new ConcurrentLinkedQueue<>();
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            assertThat(fixture.broker.topic("__consumer_offsets").orElseThrow().config().compact())
                    .as("offsets live in a compacted topic").isTrue();
            assertThat(fixture.groups.lag().stream().mapToLong(GroupCoordinator.Lag::lag).sum())
                    .as("lag: records produced after the last commit").isEqualTo(300);
            try (Member m = new Member(fixture, "resume", RangeAssignor.class.getName(), null, second)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> second.size() >= 300);
                Thread.sleep(500); // anything re-delivered would arrive now
            }
        }
        assertThat(first).hasSize(600);
        assertThat(second).hasSize(300).allMatch(v -> Integer.parseInt(v.substring(2)) >= 600);
    }

    @Test
    void memberThatStopsWithoutLeavingIsRemovedAfterItsSessionTimeoutAndItsPartitionsReassigned() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            createTopic(fixture, 4);
            ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
            // Static members do not send LeaveGroup when they close: the coordinator must notice on its own.
            Member silent = new Member(fixture, "s", RangeAssignor.class.getName(), "instance-1", seen);
            Member survivor = new Member(fixture, "s", RangeAssignor.class.getName(), "instance-2", seen);
            await().atMost(Duration.ofSeconds(30)).until(() -> assignedMembers(admin, "s") == 2);
            silent.close();
            produce(fixture, 0, 400);
            await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() >= 400);
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("s")).all().get().get("s");
            assertThat(group.members()).hasSize(1);
            assertThat(group.members().iterator().next().groupInstanceId()).contains("instance-2");
            assertThat(group.members().iterator().next().assignment().topicPartitions()).hasSize(4);
            survivor.close();
            assertThat(seen).hasSize(400).doesNotHaveDuplicates();
        }
    }

    @Test
    void adminListsDescribesAltersAndDeletesGroups() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            createTopic(fixture, 2);
            produce(fixture, 0, 100);
            ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
            try (Member m = new Member(fixture, "audit", RangeAssignor.class.getName(), null, seen)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() >= 100);
                assertThat(admin.listConsumerGroups().all().get()).anyMatch(g -> g.groupId().equals("audit"));
                ConsumerGroupDescription described = admin.describeConsumerGroups(List.of("audit")).all().get().get("audit");
                assertThat(described.groupState()).isEqualTo(GroupState.STABLE);
                assertThat(described.members()).hasSize(1);
            }
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets("audit").partitionsToOffsetAndMetadata().get();
            assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(100);

            TopicPartition p0 = new TopicPartition(TOPIC, 0);
            admin.alterConsumerGroupOffsets("audit", Map.of(p0, new OffsetAndMetadata(3, "rewound"))).all().get();
            OffsetAndMetadata altered = admin.listConsumerGroupOffsets("audit").partitionsToOffsetAndMetadata().get().get(p0);
            assertThat(altered.offset()).isEqualTo(3);
            assertThat(altered.metadata()).isEqualTo("rewound");

            admin.deleteConsumerGroups(List.of("audit")).all().get();
            assertThat(admin.listConsumerGroups().all().get()).noneMatch(g -> g.groupId().equals("audit"));
            assertThat(admin.listConsumerGroupOffsets("audit").partitionsToOffsetAndMetadata().get()).isEmpty();
        }
    }

    /** kafka-consumer-groups --delete-offsets was "Encountered some unknown error: UNSUPPORTED_VERSION". */
    @Test
    void offsetsOfTopicsNoMemberSubscribesToAreDeletedForGood() throws Exception {
        TopicPartition p0 = new TopicPartition(TOPIC, 0);
        TopicPartition p1 = new TopicPartition(TOPIC, 1);
        TopicPartition other = new TopicPartition("other", 0);
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            createTopic(fixture, 2);
            admin.createTopics(List.of(new NewTopic("other", 1, (short) 1))).all().get();
            produce(fixture, 0, 50);
            admin.alterConsumerGroupOffsets("ledger", Map.of(other, new OffsetAndMetadata(7))).all().get();
            ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
            try (Member m = new Member(fixture, "ledger", RangeAssignor.class.getName(), null, seen)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() >= 50 && admin.listConsumerGroupOffsets("ledger")
                        .partitionsToOffsetAndMetadata().get().keySet().containsAll(List.of(p0, p1, other)));
                var deletion = admin.deleteConsumerGroupOffsets("ledger", Set.of(p0, other));
                assertThatThrownBy(() -> deletion.partitionResult(p0).get()).as("a member consumes it")
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.GroupSubscribedToTopicException.class);
                deletion.partitionResult(other).get();
            }
            admin.deleteConsumerGroupOffsets("ledger", Set.of(p0)).all().get(); // the group is empty now
            assertThat(admin.listConsumerGroupOffsets("ledger").partitionsToOffsetAndMetadata().get()).containsOnlyKeys(p1);
            assertThatThrownBy(() -> admin.deleteConsumerGroupOffsets("nobody", Set.of(p0)).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.GroupIdNotFoundException.class);
        }
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            assertThat(admin.listConsumerGroupOffsets("ledger").partitionsToOffsetAndMetadata().get()).containsOnlyKeys(p1);
        }
    }

    private static int assignedMembers(Admin admin, String group) throws Exception {
        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        return d.groupState() == GroupState.STABLE
                ? (int) d.members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count() : 0;
    }

    private static void createTopic(BrokerFixture fixture, int partitions) throws Exception {
        try (Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, partitions, (short) 1))).all().get();
        }
    }

    private static void produce(BrokerFixture fixture, int from, int count) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = fixture.producer("none")) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(TOPIC, ("k" + i).getBytes(StandardCharsets.UTF_8),
                        ("v-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }
}
