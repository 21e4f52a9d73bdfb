package dev.engagement.store;

import dev.engagement.app.EngagementApp;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.testing.KafkaBroker;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestConfigs;
import dev.engagement.testing.TestData;
import dev.engagement.topology.EngagementTopology;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guards the one Kafka Streams internal that durability rests on: {@link SketchStore} writes its
 * live sketches through {@code CachedStateStore#flushCache}, which Kafka Streams 4.3 calls in
 * {@code StreamTask#prepareCommit}, before it commits offsets. If an upgrade stopped calling it
 * there, committed offsets would claim pings that no changelog record holds, and a crash would lose
 * them. (The store also writes in {@code commit(Map)}, but Kafka Streams calls that after the
 * offsets are committed: too late to count.)
 *
 * <p>On a real broker, one task, one open day of pings (no day closes, no memory cap: nothing but
 * commits write), a consumer interceptor checks at every offset commit, on the stream thread inside
 * the commit, so before anything after it runs: the changelog already holds every sketch the task
 * has folded, byte for byte.
 */
class CommitHookIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    private static final TestData DATA = new TestData(LocalDate.of(2026, 9, 1), 1, 800, 2000, 7);
    private static final String APP = "commit-hook";
    private static final String CHANGELOG = APP + "-" + EngagementTopology.SKETCH_STORE + "-changelog";

    /** What the interceptor checks at each commit; set by the test while the app runs. */
    private static volatile Runnable atCommit = () -> { };

    @TempDir
    Path stateDir;

    @Test
    void everyOffsetCommitFindsTheFoldedSketchesAlreadyInTheChangelog() throws Exception {
        Map<String, String> p = TestConfigs.instance(KAFKA.bootstrapServers(), APP, stateDir, 1);
        p.put("commit.interval.ms", "100");
        p.put("num.stream.threads", "1");
        p.put("main.consumer.interceptor.classes", AtCommit.class.getName());
        p.put("main.consumer.max.poll.records", "100"); // many commits while the pings are folded
        EngagementConfig config = EngagementConfig.defaults(p);
        KafkaTestUtils.createTopic(KAFKA.bootstrapServers(), config.pingsTopic(), 1);
        KafkaTestUtils.produceAll(KAFKA.bootstrapServers(),
            KafkaTestUtils.pingRecords(config.pingsTopic(), DATA.pings, REGISTRY, 1));

        List<String> mismatches = new CopyOnWriteArrayList<>();
        AtomicInteger checked = new AtomicInteger();
        try (EngagementApp engagement = EngagementApp.start(config, REGISTRY)) {
            atCommit = () -> {
                if (engagement.streams().state() != KafkaStreams.State.RUNNING) {
                    return;
                }
                Map<String, Bytes> folded = folded(engagement);
                Map<String, Bytes> logged = changelog();
                if (!folded.isEmpty()) {
                    checked.incrementAndGet();
                }
                if (!logged.equals(folded)) {
                    long missing = folded.keySet().stream().filter(k -> !logged.containsKey(k)).count();
                    long behind = folded.entrySet().stream()
                        .filter(e -> logged.containsKey(e.getKey()) && !logged.get(e.getKey()).equals(e.getValue()))
                        .count();
                    mismatches.add("at a commit: " + folded.size() + " sketches folded, " + missing
                        + " not in the changelog, " + behind + " older there");
                }
            };
            engagement.awaitRunning(Duration.ofSeconds(60));
            Poll.until("every ping folded", Duration.ofSeconds(90),
                () -> engagement.counters().total() >= DATA.pings.size());
            int before = checked.get();
            Poll.until("one more commit checked after the last ping", Duration.ofSeconds(30),
                () -> checked.get() > before);
        } finally {
            atCommit = () -> { };
        }
        assertThat(mismatches).as("commits that claimed pings the changelog lacked").isEmpty();
        assertThat(checked.get()).as("commits checked with folded sketches").isPositive();
    }

    /** The sketches the task has folded, as Interactive Queries see them (open days: live). */
    private static Map<String, Bytes> folded(EngagementApp engagement) {
        Map<String, Bytes> all = new TreeMap<>();
        ReadOnlyKeyValueStore<Bytes, byte[]> store = engagement.streams().store(StoreQueryParameters
            .fromNameAndType(EngagementTopology.SKETCH_STORE, QueryableStoreTypes.<Bytes, byte[]>keyValueStore())
            .withPartition(0));
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                if (!SegmentDayKey.isMeta(kv.key.get())) {
                    all.put(kv.key.toString(), Bytes.wrap(kv.value));
                }
            }
        }
        return all;
    }

    /** The latest value of every sketch key in the changelog, read to its current end. */
    private static Map<String, Bytes> changelog() {
        Map<String, Bytes> latest = new TreeMap<>();
        TopicPartition partition = new TopicPartition(CHANGELOG, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.<String, Object>of(
            "bootstrap.servers", KAFKA.bootstrapServers(), "enable.auto.commit", false),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            Poll.until("the changelog read to its end", Duration.ofSeconds(30), () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (!SegmentDayKey.isMeta(r.key())) {
                        if (r.value() == null) {
                            latest.remove(Bytes.wrap(r.key()).toString());
                        } else {
                            latest.put(Bytes.wrap(r.key()).toString(), Bytes.wrap(r.value()));
                        }
                    }
                }
                return consumer.position(partition) >= end;
            });
        }
        return latest;
    }

    /**
     * Runs {@link #atCommit} when the stream thread's consumer has committed offsets: inside
     * {@code commitSync}, on the stream thread, so before Kafka Streams' post-commit steps.
     */
    public static final class AtCommit implements ConsumerInterceptor<byte[], byte[]> {

        @Override
        public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
            return records;
        }

        @Override
        public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
            if (offsets.keySet().stream().anyMatch(tp -> tp.topic().equals(APP + "-pings"))) {
                atCommit.run();
            }
        }

        @Override
        public void close() {
        }

        @Override
        public void configure(Map<String, ?> configs) {
        }
    }
}
