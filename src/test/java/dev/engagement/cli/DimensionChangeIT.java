package dev.engagement.cli;

import dev.engagement.avro.Ping;
import dev.engagement.avro.SegmentDaySketch;
import dev.engagement.registry.AvroWireDeserializer;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.KafkaBroker;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.Pings;
import dev.engagement.testing.Poll;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Changing {@code engagement.dimensions} on a running deployment, as an operator would: {@code run}
 * in its own JVM on a real broker, stopped and started again on the same state with a dimension
 * added in the middle of the list, then one removed, then the list reordered, four days of pings
 * after each change. After each step: the days written before answer byte for byte as they did
 * (on the downstream topic too), a group-by on the added dimension marks the days that did not
 * record it, the days after carry it, and every count holds against the known population. Last, a
 * changed {@code engagement.sketch.lg-k} makes {@code run} exit 1 with one line saying what to do.
 */
class DimensionChangeIT {

    private static final int PARTITIONS = 2;
    private static final LocalDate FIRST = LocalDate.of(2026, 6, 1);
    private static final String[] CHANNELS = {"release", "beta", "nightly"};
    private static final String[] OSES = {"Linux", "Darwin", "Windows_NT"};
    private static final String[] LOCALES = {"de", "fr"};
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @TempDir
    Path dir;

    private final List<Ping> produced = new ArrayList<>();

    private static String channel(int c) {
        return CHANNELS[c % 3];
    }

    private static String os(int c) {
        return OSES[c / 3 % 3];
    }

    private static String locale(int c) {
        return LOCALES[c / 9 % 2];
    }

    /** Four days of pings, from day {@code from}: 300 clients, each active on most days. */
    private List<Ping> days(int from) {
        List<Ping> pings = new ArrayList<>();
        for (int d = from; d < from + 4; d++) {
            LocalDate day = FIRST.plusDays(d);
            Instant noon = day.atTime(12, 0).toInstant(ZoneOffset.UTC);
            for (int c = 0; c < 300; c++) {
                if ((c + d) % 4 == 0) {
                    continue;
                }
                pings.add(Ping.newBuilder(Pings.ping("client-" + c, noon.plusSeconds(c), day, channel(c), os(c)))
                    .setLocale(locale(c)).build());
            }
        }
        return pings;
    }

    private long exact(int day, Predicate<Integer> client) {
        Set<String> clients = new HashSet<>();
        for (Ping p : produced) {
            int c = Integer.parseInt(p.getClientId().substring("client-".length()));
            if (p.getActivityDate().equals(FIRST.plusDays(day)) && client.test(c)) {
                clients.add(p.getClientId());
            }
        }
        return clients.size();
    }

    private Properties settings(String dimensions, int port) {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        p.setProperty("application.id", "dims");
        p.setProperty("state.dir", dir.resolve("state").toString());
        p.setProperty("commit.interval.ms", "200");
        p.setProperty("engagement.dimensions", dimensions);
        for (String topic : new String[] {"pings", "dead-letter", "late", "sketches", "partials"}) {
            p.setProperty("engagement.topic." + topic, "dims-" + topic);
        }
        p.setProperty("engagement.downstream-interval", "200ms");
        p.setProperty("engagement.http.port", Integer.toString(port));
        p.setProperty("engagement.instance-id", "dims-0");
        return p;
    }

    private long stepStarted = System.nanoTime();

    private AppProcess start(String dimensions, int port, String step, String... extra) throws Exception {
        System.out.printf("DimensionChangeIT: %s after %d ms%n", step, (System.nanoTime() - stepStarted) / 1_000_000);
        stepStarted = System.nanoTime();
        Properties p = settings(dimensions, port);
        for (int i = 0; i < extra.length; i += 2) {
            p.setProperty(extra[i], extra[i + 1]);
        }
        Path config = dir.resolve(step + ".properties");
        try (var out = Files.newBufferedWriter(config)) {
            p.store(out, null);
        }
        return AppProcess.start(dir.resolve(step + ".log"), port, "run", "--config", config.toString());
    }

    /** Produces four days from day {@code from} and waits until the instance has folded them all. */
    private void feed(AppProcess run, int from) throws Exception {
        Poll.until("ready", Duration.ofSeconds(90), () -> run.get("/health/ready").status() == 200);
        List<Ping> pings = days(from);
        long before = run.get("/v1/status").json().path("pings").path("accepted").asLong();
        KafkaTestUtils.produceAll(KAFKA.bootstrapServers(), KafkaTestUtils.pingRecords("dims-pings", pings, REGISTRY,
            PARTITIONS));
        produced.addAll(pings);
        Poll.until("every ping of days " + from + ".." + (from + 3) + " folded", Duration.ofSeconds(90),
            () -> run.get("/v1/status").json().path("pings").path("accepted").asLong() >= before + pings.size());
    }

    /** An answer's rows, by "group|day", as comparable text (estimates and bounds). */
    private static Map<String, String> rows(AppProcess run, String query) {
        AppProcess.Response r = run.get(query);
        assertThat(r.status()).as(query + ": " + r.text()).isEqualTo(200);
        Map<String, String> rows = new TreeMap<>();
        for (JsonNode row : r.json().path("rows")) {
            rows.put(row.path("group") + "|" + row.path("day").asText(), row.path("dau").toString());
        }
        return rows;
    }

    private static String range(int from, int to) {
        return "from=" + FIRST.plusDays(from) + "&to=" + FIRST.plusDays(to);
    }

    private static Map<String, String> days(Map<String, String> rows, int from, int to) {
        Map<String, String> out = new TreeMap<>();
        rows.forEach((k, v) -> {
            LocalDate day = LocalDate.parse(k.substring(k.lastIndexOf('|') + 1));
            if (!day.isBefore(FIRST.plusDays(from)) && !day.isAfter(FIRST.plusDays(to))) {
                out.put(k, v);
            }
        });
        return out;
    }

    private void assertExact(AppProcess run, int from, int to, String groupBy, Map<String, Predicate<Integer>> groups) {
        JsonNode answer = run.get("/v1/engagement?" + range(from, to) + "&metrics=dau&groupBy=" + groupBy).json();
        for (JsonNode row : answer.path("rows")) {
            String value = row.path("group").path(groupBy).asText();
            int day = (int) (LocalDate.parse(row.path("day").asText()).toEpochDay() - FIRST.toEpochDay());
            double exact = exact(day, groups.get(value));
            assertThat(exact).as("%s=%s on day %d", groupBy, value, day)
                .isBetween(Math.floor(row.path("dau").path("lower").asDouble()),
                    Math.ceil(row.path("dau").path("upper").asDouble()));
        }
    }

    /** The latest sketch bytes of every downstream record, once they stop changing. */
    private static Map<String, String> downstream() {
        Map<String, String> latest = new HashMap<>();
        try (KafkaConsumer<String, SegmentDaySketch> consumer = new KafkaConsumer<>(Map.<String, Object>of(
            "bootstrap.servers", KAFKA.bootstrapServers(), "group.id", "dims-reader-" + System.nanoTime(),
            "auto.offset.reset", "earliest"), new StringDeserializer(),
            new AvroWireDeserializer<>(REGISTRY, SegmentDaySketch.getClassSchema()))) {
            consumer.subscribe(List.of("dims-sketches"));
            return Poll.stable("the downstream topic", Duration.ofSeconds(60), Duration.ofSeconds(2), () -> {
                for (ConsumerRecord<String, SegmentDaySketch> r : consumer.poll(Duration.ofMillis(200))) {
                    latest.put(r.key(), Arrays.toString(r.value().getSketch().array()));
                }
                return latest.isEmpty() ? null : new HashMap<>(latest);
            });
        }
    }

    private static Map<String, String> ofDays(Map<String, String> records, int from, int to) {
        Map<String, String> out = new TreeMap<>();
        records.forEach((k, v) -> {
            LocalDate day = LocalDate.parse(k.substring(0, 10));
            if (!day.isBefore(FIRST.plusDays(from)) && !day.isAfter(FIRST.plusDays(to))) {
                out.put(k, v);
            }
        });
        return out;
    }

    @Test
    void historySurvivesAddingRemovingAndReorderingDimensionsAndAnIncompatibleChangeStopsWithOneLine() throws Exception {
        KafkaTestUtils.createTopic(KAFKA.bootstrapServers(), "dims-pings", PARTITIONS);
        int port = AppProcess.freePort();
        Map<String, Predicate<Integer>> byChannel = new HashMap<>();
        for (String ch : CHANNELS) {
            byChannel.put(ch, c -> channel(c).equals(ch));
        }
        Map<String, Predicate<Integer>> byLocale = new HashMap<>();
        for (String l : LOCALES) {
            byLocale.put(l, c -> locale(c).equals(l));
        }
        String byChannelQuery = "/v1/engagement?metrics=dau&groupBy=channel&";

        // Days 0-3 under channel,os.
        Map<String, String> first;
        Map<String, String> firstDownstream;
        try (AppProcess run = start("channel,os", port, "1-channel-os")) {
            feed(run, 0);
            first = rows(run, byChannelQuery + range(0, 3));
            assertExact(run, 0, 3, "channel", byChannel);
            firstDownstream = ofDays(downstream(), 0, 3);
            assertThat(firstDownstream).isNotEmpty();
        }

        // Locale added in the middle; days 4-7.
        Map<String, String> second;
        try (AppProcess run = start("channel,locale,os", port, "2-added")) {
            feed(run, 4);
            assertThat(run.output()).contains("engagement.dimensions changed: added locale");
            second = rows(run, byChannelQuery + range(0, 7));
            assertThat(days(second, 0, 3)).as("days written before the change, as they answered").isEqualTo(first);
            assertExact(run, 0, 7, "channel", byChannel);

            JsonNode byLocaleAnswer = run.get("/v1/engagement?" + range(0, 7) + "&metrics=dau&groupBy=locale").json();
            assertThat(byLocaleAnswer.path("complete").asBoolean()).isFalse();
            assertThat(byLocaleAnswer.path("notRecorded").path("locale")).hasSize(4);
            assertThat(byLocaleAnswer.path("reason").asText()).contains("locale was not recorded");
            for (JsonNode row : byLocaleAnswer.path("rows")) {
                LocalDate day = LocalDate.parse(row.path("day").asText());
                boolean before = day.isBefore(FIRST.plusDays(4));
                String value = row.path("group").path("locale").asText();
                double dau = row.path("dau").path("estimate").asDouble();
                if (before) {
                    // Only the not-recorded group has clients; the flag says why.
                    assertThat(dau > 0).as("%s on %s", value, day).isEqualTo(value.equals("(not recorded)"));
                    assertThat(row.path("notRecorded").toString()).isEqualTo("[\"locale\"]");
                    assertThat(row.path("complete").asBoolean()).isFalse();
                } else {
                    assertThat(dau > 0).as("%s on %s", value, day).isEqualTo(!value.equals("(not recorded)"));
                    assertThat(row.has("notRecorded")).isFalse();
                }
            }
            assertExact(run, 4, 7, "locale", byLocale);
            JsonNode status = run.get("/v1/status").json();
            assertThat(status.path("layouts")).hasSize(2);
            assertThat(status.path("layouts").get(1).path("dimensions").toString())
                .isEqualTo("[\"channel\",\"locale\",\"os\"]");
        }

        // Os removed; days 8-11.
        Map<String, String> third;
        try (AppProcess run = start("channel,locale", port, "3-removed")) {
            feed(run, 8);
            assertThat(run.output()).contains("engagement.dimensions changed: removed os");
            third = rows(run, byChannelQuery + range(0, 11));
            assertThat(days(third, 0, 7)).isEqualTo(second);
            assertExact(run, 0, 11, "channel", byChannel);
            assertExact(run, 4, 11, "locale", byLocale);
            assertThat(run.get("/v1/engagement?" + range(0, 1) + "&groupBy=os").status()).as("os is no dimension now")
                .isEqualTo(400);
        }

        // Reordered; no new days: everything answers as it did.
        try (AppProcess run = start("locale,channel", port, "4-reordered")) {
            Poll.until("ready", Duration.ofSeconds(90), () -> run.get("/health/ready").status() == 200);
            Poll.until("the last step's answers", Duration.ofSeconds(30),
                () -> rows(run, byChannelQuery + range(0, 11)).equals(third));
            assertThat(run.output()).contains("engagement.dimensions changed: reordered locale,channel");
            assertExact(run, 4, 11, "locale", byLocale);
            // Downstream: the records of the first days are the same sketches, byte for byte; each
            // later record names the dimensions of the list it was written under.
            Map<String, String> records = downstream();
            assertThat(ofDays(records, 0, 3)).isEqualTo(firstDownstream);
            assertThat(ofDays(records, 5, 5).keySet()).isNotEmpty()
                .allMatch(k -> k.contains("|channel=") && k.contains("|locale=") && k.contains("|os="));
            assertThat(ofDays(records, 9, 9).keySet()).isNotEmpty()
                .allMatch(k -> k.contains("|channel=") && k.contains("|locale=") && !k.contains("|os="));
        }

        // Another precision for the stored days: refused, in one line, with what to do.
        try (AppProcess run = start("locale,channel", port, "5-lgk", "engagement.sketch.lg-k", "14")) {
            assertThat(run.waitFor(Duration.ofSeconds(90))).as("exit code").isEqualTo(1);
            assertThat(run.output()).contains("engagement: engagement.sketch.lg-k changed from 12 to 14")
                .contains("new application.id");
        }
    }
}
