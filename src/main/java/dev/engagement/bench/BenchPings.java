package dev.engagement.bench;

import dev.engagement.avro.Ping;
import dev.engagement.registry.AvroWireSerializer;
import dev.engagement.registry.SchemaRegistry;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * The benchmark's pings: {@code clients} clients, each in one of {@code segments} segments (Zipf
 * sizes, so a few segments are large and most are tiny), over three days in time order. Every ping
 * built here is valid ({@link dev.engagement.ping.PingRules}): a UUID client id, a plausible
 * submission time, and an activity date on or just before the submission day.
 */
final class BenchPings {

    private static final String[] APPS = {"Firefox", "Focus", "Fenix"};
    private static final String[] CHANNELS = {"release", "beta", "nightly", "esr"};
    private static final String[] OSES = {"Windows_NT", "Darwin", "Linux", "Android", "iOS"};
    static final int DAYS = 3;

    private final int clients;
    private final String[][] segmentValues;
    private final int[] segmentOfClient;
    private final long start = LocalDate.of(2026, 10, 1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();

    BenchPings(int clients, int segments, long seed) {
        this.clients = clients;
        Random random = new Random(seed);
        segmentValues = new String[segments][];
        for (int s = 0; s < segments; s++) {
            segmentValues[s] = new String[] {APPS[s % 3], CHANNELS[(s / 3) % 4], OSES[(s / 12) % 5],
                "C" + (s / 60) % 60, "v" + (s / 3600)};
        }
        // Zipf(1) over segments: client i goes to the segment whose cumulative weight covers it.
        double[] cumulative = new double[segments];
        double sum = 0;
        for (int s = 0; s < segments; s++) {
            sum += 1.0 / (s + 1);
            cumulative[s] = sum;
        }
        segmentOfClient = new int[clients];
        for (int c = 0; c < clients; c++) {
            double r = random.nextDouble() * sum;
            int s = Arrays.binarySearch(cumulative, r);
            segmentOfClient[c] = Math.min(segments - 1, s >= 0 ? s : -s - 1);
        }
    }

    /** The i-th of {@code n} pings: a pseudo-random client, submitted at time i/n of the three days. */
    Ping ping(long i, long n, Random random) {
        long at = start + (long) ((double) i / n * DAYS * 86_400_000L);
        Instant submitted = Instant.ofEpochMilli(at);
        return pingAt(random, submitted, LocalDate.ofInstant(submitted, ZoneOffset.UTC));
    }

    /**
     * A ping of a pseudo-random client of this population, submitted at {@code submitted} for
     * {@code day} (which must be the submission day or at most the lateness window before it).
     */
    Ping pingAt(Random random, Instant submitted, LocalDate day) {
        int client = random.nextInt(clients);
        String[] v = segmentValues[segmentOfClient[client]];
        return build(new UUID(0x5eedL, client).toString(), submitted, day, v[0], v[1], v[2], v[3], v[4]);
    }

    /**
     * A ping of a client outside this population, in a segment whose {@code app_name} is
     * {@code appName} (no population client has one but {@code Firefox}, {@code Focus} and
     * {@code Fenix}); its other dimension values are common ones.
     */
    static Ping outsider(String clientId, String appName, Instant submitted, LocalDate day) {
        return build(clientId, submitted, day, appName, CHANNELS[0], OSES[2], "C0", "v0");
    }

    private static Ping build(String clientId, Instant submitted, LocalDate day, String app, String channel,
                              String os, String country, String version) {
        return Ping.newBuilder()
            .setClientId(clientId)
            .setSubmissionTimestamp(submitted)
            .setActivityDate(day)
            .setAppName(app).setChannel(channel).setOs(os).setCountry(country).setAppVersion(version)
            .setAttributes(Map.of())
            .build();
    }

    /**
     * Produces {@code pings} of this generator (seed 2 for the per-ping draws) to {@code topic}, lz4,
     * keyed by client, timestamped with submission time, and waits until the broker has them all.
     */
    void produce(String bootstrap, SchemaRegistry registry, String topic, long pings) {
        AvroWireSerializer<Ping> serializer = new AvroWireSerializer<>(registry, Ping.getClassSchema());
        Random random = new Random(2);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
            "bootstrap.servers", bootstrap, "compression.type", "lz4", "linger.ms", 20,
            "batch.size", 262_144, "acks", "1"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long i = 0; i < pings; i++) {
                Ping ping = ping(i, pings, random);
                producer.send(new ProducerRecord<>(topic, null, ping.getSubmissionTimestamp().toEpochMilli(),
                    ping.getClientId().getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, ping)));
            }
            producer.flush();
        }
    }
}
