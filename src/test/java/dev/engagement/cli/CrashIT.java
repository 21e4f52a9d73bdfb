package dev.engagement.cli;

import dev.engagement.app.EngagementApp;
import dev.engagement.avro.Ping;
import dev.engagement.avro.SegmentDaySketch;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.AvroWireDeserializer;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.KafkaBroker;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestData;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crash and restart: {@code engagement run} in its own JVM is killed with SIGKILL at random points
 * during ingest, restarted, and let finish. Its downstream records end byte-identical (sketch and
 * {@code final}) to those of an uninterrupted run over the same pings, at least once and exactly
 * once. CI does 2 kills per guarantee; {@code -Dcrash.kills=10} (with {@code -Dit.test=CrashIT}) does
 * a longer run.
 */
class CrashIT {

    private static final int PARTITIONS = 3;
    private static final LocalDate FIRST = LocalDate.of(2026, 9, 1);
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    private static final TestData DATA = new TestData(FIRST, 4, 2000, 6000, 23);
    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @TempDir
    Path dir;



    @ParameterizedTest
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void sigkillAtRandomPointsEndsByteIdenticalToAnUninterruptedRun(String guarantee) throws Exception {
        int kills = Integer.getInteger("crash.kills", 2);
        String name = "crash-" + guarantee.replace('_', '-');
        String pings = name + "-pings";
        KafkaTestUtils.createTopic(KAFKA.bootstrapServers(), pings, PARTITIONS);

        // The uninterrupted reference, in this JVM, over all the pings.
        List<Ping> all = DATA.pings;
        KafkaTestUtils.produceAll(KAFKA.bootstrapServers(), KafkaTestUtils.pingRecords(pings, all, REGISTRY, PARTITIONS));
        Map<String, String> reference;
        EngagementConfig straight = EngagementConfig.from(properties(name + "-straight", pings, guarantee, 0));
        try (EngagementApp app = EngagementApp.start(straight, REGISTRY)) {
            awaitCommitted(name + "-straight", pings);
            reference = downstreamStable(straight.sketchesTopic());
        }

        // The same pings on a second topic, produced a portion at a time while `run` works, so each
        // SIGKILL lands in the middle of ingest.
        String crashPings = name + "-crash-pings";
        KafkaTestUtils.createTopic(KAFKA.bootstrapServers(), crashPings, PARTITIONS);
        int portion = all.size() / (kills + 1);
        assertThat(reference).isNotEmpty();

        // The same pings, with `run` killed -9 at random points while it works through them.
        Random random = new Random(guarantee.hashCode());
        Path config = dir.resolve(name + ".properties");
        int port = AppProcess.freePort();
        java.util.Properties crashed = properties(name + "-crashed", crashPings, guarantee, port);
        try (var out = Files.newBufferedWriter(config)) {
            crashed.store(out, null);
        }
        for (int k = 0; k < kills; k++) {
            try (AppProcess run = AppProcess.start(dir.resolve(name + "-" + k + ".log"), port, "run", "--config",
                config.toString())) {
                Poll.until("run " + k + " ready", Duration.ofSeconds(90),
                    () -> run.get("/health/ready").status() == 200);
                KafkaTestUtils.produceAll(KAFKA.bootstrapServers(), KafkaTestUtils.pingRecords(crashPings,
                    all.subList(k * portion, (k + 1) * portion), REGISTRY, PARTITIONS));
                Thread.sleep(random.nextInt(400)); // a random point of the ingest
                run.kill();
            }
        }
        EngagementConfig crashedConfig = EngagementConfig.from(crashed);
        try (AppProcess run = AppProcess.start(dir.resolve(name + "-final.log"), port, "run", "--config",
            config.toString())) {
            KafkaTestUtils.produceAll(KAFKA.bootstrapServers(), KafkaTestUtils.pingRecords(crashPings,
                all.subList(kills * portion, all.size()), REGISTRY, PARTITIONS));
            awaitCommitted(name + "-crashed", crashPings);
            Map<String, String> after = downstreamStable(crashedConfig.sketchesTopic());
            assertThat(after.keySet()).isEqualTo(reference.keySet());
            reference.forEach((key, value) -> assertThat(after.get(key)).as(key).isEqualTo(value));
        }
    }

    private java.util.Properties properties(String id, String pings, String guarantee, int port) {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        p.setProperty("application.id", id);
        p.setProperty("processing.guarantee", guarantee);
        p.setProperty("state.dir", dir.resolve(id).toString());
        p.setProperty("commit.interval.ms", "200");
        // A killed member leaves no goodbye: let the broker notice it in 6 s, not 45.
        p.setProperty("session.timeout.ms", "6000");
        p.setProperty("heartbeat.interval.ms", "1000");
        p.setProperty("engagement.dimensions", "channel,os");
        p.setProperty("engagement.topic.pings", pings);
        p.setProperty("engagement.topic.dead-letter", id + "-dead-letter");
        p.setProperty("engagement.topic.late", id + "-late");
        p.setProperty("engagement.topic.sketches", id + "-sketches");
        p.setProperty("engagement.topic.partials", id + "-partials");
        p.setProperty("engagement.downstream-interval", "200ms");
        p.setProperty("engagement.http.port", Integer.toString(port));
        return p;
    }

    /** Waits until the group has committed every ping of the topic. */
    private static void awaitCommitted(String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
            Poll.until(group + " committed every ping", Duration.ofSeconds(120), () -> {
                try {
                    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get();
                    return ends.entrySet().stream().allMatch(e -> committed.get(e.getKey()) != null
                        && committed.get(e.getKey()).offset() >= e.getValue());
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    /** The latest record of every key (sketch bytes and final flag), once it stops changing. */
    private static Map<String, String> downstreamStable(String topic) {
        Map<String, String> latest = new HashMap<>();
        try (KafkaConsumer<String, SegmentDaySketch> consumer = new KafkaConsumer<>(Map.<String, Object>of(
            "bootstrap.servers", KAFKA.bootstrapServers(), "group.id", topic + "-reader-" + System.nanoTime(),
            "auto.offset.reset", "earliest", "isolation.level", "read_committed"),
            new StringDeserializer(), new AvroWireDeserializer<>(REGISTRY, SegmentDaySketch.getClassSchema()))) {
            consumer.subscribe(List.of(topic));
            return Poll.stable("downstream " + topic, Duration.ofSeconds(60), Duration.ofSeconds(3), () -> {
                for (ConsumerRecord<String, SegmentDaySketch> r : consumer.poll(Duration.ofMillis(200))) {
                    latest.put(r.key(), java.util.Arrays.toString(r.value().getSketch().array()) + " final="
                        + r.value().getFinal$());
                }
                return latest.isEmpty() ? null : new HashMap<>(latest);
            });
        }
    }
}
