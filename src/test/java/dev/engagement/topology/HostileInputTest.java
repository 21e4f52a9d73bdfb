package dev.engagement.topology;

import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.testing.Pings;

import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded mix of valid pings and hostile records through the real topology: the stream never
 * stops, the accounting closes exactly, and the sketches equal those built from the valid pings
 * alone.
 */
class HostileInputTest {

    private static final LocalDate DAY = LocalDate.of(2026, 10, 1);
    private static final long START = DAY.atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();

    @TempDir
    Path stateDir;

    private final EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
    private final EngagementConfig config = EngagementConfig.defaults(Map.of("engagement.dimensions", "channel,os,attributes.branch"));

    private record Input(byte[] value, Instant time, boolean valid) {
    }

    @Test
    void hostileRecordsAreDeadLetteredAndValidPingsAllCount() {
        for (long seed : new long[] {1, 2, 3}) {
            List<Input> inputs = generate(seed, 3000);
            IngestCounters all = new IngestCounters();
            Map<String, String> withEverything = run(inputs, all, "all-" + seed);
            IngestCounters valid = new IngestCounters();
            Map<String, String> validOnly = run(inputs.stream().filter(Input::valid).toList(), valid, "valid-" + seed);

            long validCount = inputs.stream().filter(Input::valid).count();
            assertThat(all.total()).as("every record accounted for, seed %d", seed).isEqualTo(inputs.size());
            assertThat(all.accepted() + all.late()).isEqualTo(validCount);
            assertThat(all.deadLetteredTotal()).isEqualTo(inputs.size() - validCount);
            assertThat(all.late()).isZero();
            assertThat(withEverything).as("sketches, seed %d", seed).isEqualTo(validOnly).isNotEmpty();
        }
    }

    private List<Input> generate(long seed, int count) {
        Random random = new Random(seed);
        Pings wire = new Pings(registry, config.pingsTopic());
        byte[] template = wire.bytes(Pings.ping("template", Instant.ofEpochMilli(START), DAY, "release", "Linux"));
        List<Input> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Instant at = Instant.ofEpochMilli(START + i * 10_000L); // in time order: no valid ping is late
            int kind = random.nextInt(16);
            byte[] bytes = null;
            boolean valid = false;
            switch (kind) {
                case 0 -> { // random bytes
                    bytes = new byte[random.nextInt(64)];
                    random.nextBytes(bytes);
                    if (bytes.length > 4) {
                        bytes[0] = (byte) (1 + random.nextInt(200)); // never a valid frame by accident
                    }
                }
                case 1 -> bytes = Arrays.copyOf(template, 5 + random.nextInt(template.length - 6)); // truncated
                case 2 -> {
                    bytes = template.clone();
                    bytes[0] = 9; // wrong magic byte
                }
                case 3 -> {
                    bytes = template.clone();
                    bytes[1] = 0x7f; // unknown schema id
                }
                case 4 -> bytes = wire.bytes(Pings.ping("", at, DAY, "release", "Linux"));
                case 5 -> bytes = wire.bytes(Pings.ping("x".repeat(129 + random.nextInt(1000)), at, DAY, "beta", "Linux"));
                case 6 -> bytes = wire.bytes(Pings.ping("a\u0000b\n", at, DAY, "beta", "Linux"));
                case 7 -> bytes = wire.bytes(Pings.ping("past", at, LocalDate.of(1999, 1, 1), "beta", "Linux"));
                case 8 -> bytes = wire.bytes(Pings.ping("future", at, DAY.plusYears(50), "beta", "Linux"));
                case 9 -> bytes = wire.bytes(Pings.ping("far-future-submission", Instant.parse("2190-01-01T00:00:00Z"),
                    DAY, "beta", "Linux"));
                default -> { // valid: some with hostile-looking but legal content
                    Ping ping = Pings.ping("client-" + random.nextInt(500), at,
                        LocalDate.ofInstant(at, ZoneOffset.UTC), random.nextBoolean() ? "release" : null,
                        random.nextInt(3) == 0 ? "" : "Linux");
                    Map<String, String> attributes = new HashMap<>();
                    int size = random.nextInt(4) == 0 ? 5000 : random.nextInt(3);
                    for (int a = 0; a < size; a++) {
                        attributes.put("k" + a, "v" + a);
                    }
                    if (random.nextBoolean()) {
                        attributes.put("branch", random.nextBoolean() ? "treatment" : "x".repeat(300));
                    }
                    ping.setAttributes(attributes);
                    bytes = wire.bytes(ping);
                    valid = true;
                }
            }
            out.add(new Input(bytes, at, valid));
        }
        return out;
    }

    /** Runs the records through a fresh driver; returns every stored sketch by key. */
    private Map<String, String> run(List<Input> inputs, IngestCounters counters, String name) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "hostile-" + name);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(name).toString());
        Map<String, String> sketches = new TreeMap<>();
        try (TopologyTestDriver driver = new TopologyTestDriver(EngagementTopology.build(config, registry, counters, 1), props)) {
            TestInputTopic<byte[], byte[]> topic = driver.createInputTopic(config.pingsTopic(),
                new ByteArraySerializer(), new ByteArraySerializer());
            for (Input input : inputs) {
                topic.pipeInput(new TestRecord<>(null, input.value(), input.time()));
            }
            driver.advanceWallClockTime(Duration.ofSeconds(2));
            @SuppressWarnings("unchecked")
            ReadOnlyKeyValueStore<Bytes, byte[]> store =
                (ReadOnlyKeyValueStore<Bytes, byte[]>) driver.getAllStateStores().get(EngagementTopology.SKETCH_STORE);
            try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
                while (it.hasNext()) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    if (!SegmentDayKey.isMeta(kv.key.get())) {
                        sketches.put(Arrays.toString(SegmentDayKey.values(kv.key.get())) + SegmentDayKey.day(kv.key.get()),
                            Arrays.toString(kv.value));
                    }
                }
            }
        }
        return sketches;
    }
}
