package dev.engagement.config;

import dev.engagement.ping.Dimension;
import dev.engagement.sketch.Sketches;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EngagementConfigTest {

    private static EngagementConfig config(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return EngagementConfig.from(p);
    }

    private static void refused(String key, String value, String... messageParts) {
        assertThatThrownBy(() -> config(key, value))
            .as("%s=%s", key, value)
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining(key)
            .hasMessageContainingAll(messageParts);
    }

    @Test
    void defaults() {
        EngagementConfig c = EngagementConfig.defaults(Map.of());
        assertThat(c.pingsTopic()).isEqualTo("pings");
        assertThat(c.deadLetterTopic()).isEqualTo("pings-dead-letter");
        assertThat(c.lateTopic()).isEqualTo("pings-late");
        assertThat(c.sketchesTopic()).isEqualTo("segment-day-sketches");
        assertThat(c.partialsTopic()).isEqualTo("engagement-sketch-partials");
        assertThat(c.dimensionNames()).containsExactly("app_name", "channel", "os", "country", "app_version");
        assertThat(c.dimensions()).allSatisfy(d -> assertThat(d.maxValues()).isEqualTo(1000));
        assertThat(c.lgK()).isEqualTo(Sketches.DEFAULT_LG_K).isEqualTo(12);
        assertThat(c.grace()).isEqualTo(Duration.ofDays(2));
        assertThat(c.graceDays()).isEqualTo(2);
        assertThat(c.latenessWindow()).isEqualTo(Duration.ofDays(28));
        assertThat(c.retention()).isEqualTo(Duration.ofDays(400));
        assertThat(c.downstreamInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.schemaRegistryUrl()).isEqualTo(EngagementConfig.EMBEDDED);
        assertThat(c.kafka()).isEmpty();
        assertThat(c.kafkaProperties()).isEmpty();
        // Every documented key parses with its default.
        Properties all = new Properties();
        all.putAll(EngagementConfig.KEYS);
        assertThat(EngagementConfig.from(all)).isEqualTo(c);
    }

    @Test
    void releaseSettingsAreTypedAndCheckedAtLoad() {
        EngagementConfig d = EngagementConfig.defaults(Map.of());
        assertThat(d.release().dimension()).isEqualTo("app_version");
        assertThat(d.release().minClients()).isEqualTo(100);
        EngagementConfig c = config("engagement.release.dimension", "channel", "engagement.release.min-clients", "25");
        assertThat(c.release().dimension()).isEqualTo("channel");
        assertThat(c.release().minClients()).isEqualTo(25);
        refused("engagement.release.min-clients", "0", "at least 1");
        refused("engagement.release.min-clients", "many", "not an integer");
        refused("engagement.release.dimension", "planet", "not one of engagement.dimensions");
        // The default names a dimension that may not be configured: then only /v1/releases asks for one.
        assertThat(config("engagement.dimensions", "channel,os").release().dimension()).isEqualTo("app_version");
    }

    @Test
    void overrides() {
        EngagementConfig c = config(
            "engagement.topic.pings", "p",
            "engagement.dimensions", " channel , os,attributes.branch ,channel",
            "engagement.sketch.lg-k", "14",
            "engagement.grace", "36h",
            "engagement.lateness-window", "P7D",
            "engagement.retention", " 40d ",
            "engagement.schema-registry.url", "http://registry:8081");
        assertThat(c.pingsTopic()).isEqualTo("p");
        // Trimmed, in order, duplicates dropped.
        assertThat(c.dimensionNames()).containsExactly("channel", "os", "attributes.branch");
        assertThat(c.lgK()).isEqualTo(14);
        assertThat(c.grace()).isEqualTo(Duration.ofHours(36));
        assertThat(c.graceDays()).isEqualTo(2);
        assertThat(c.latenessWindow()).isEqualTo(Duration.ofDays(7));
        assertThat(c.retention()).isEqualTo(Duration.ofDays(40));
        assertThat(c.schemaRegistryUrl()).isEqualTo("http://registry:8081");
    }

    @Test
    void unknownEngagementKeyIsRefused() {
        for (String key : new String[] {"engagement.grase", "engagement.topic.ping", "engagement.", "engagement.dimension.os.max-value"}) {
            assertThatThrownBy(() -> config(key, "1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(key + ":")
                .hasMessageContaining("unknown");
        }
    }

    @Test
    void perDimensionCaps() {
        EngagementConfig c = config(
            "engagement.dimensions", "channel,os,country",
            "engagement.dimension.max-values", "50",
            "engagement.dimension.os.max-values", "3",
            "engagement.dimension.country.max-values", "0");
        assertThat(c.dimensions()).containsExactly(
            new Dimension("channel", 50), new Dimension("os", 3), new Dimension("country", 0));
        assertThat(config("engagement.dimensions", "attributes.branch",
            "engagement.dimension.attributes.branch.max-values", "7").dimensions())
            .containsExactly(new Dimension("attributes.branch", 7));

        refused("engagement.dimension.os.max-values", "three", "not an integer");
        refused("engagement.dimension.os.max-values", "-1", "at least 0");
        refused("engagement.dimension.max-values", "1e3", "not an integer");
        // A cap for a dimension that is not configured is a typo (or a leftover): start-up fails, naming it.
        assertThatThrownBy(() -> config("engagement.dimensions", "channel,os", "engagement.dimension.oss.max-values", "3"))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("engagement.dimension.oss.max-values").hasMessageContaining("not one of");
    }

    @Test
    void kafkaKeysPassThrough() {
        EngagementConfig c = config(
            "bootstrap.servers", "broker:9092",
            "num.stream.threads", "4",
            "producer.compression.type", "zstd",
            "engagement.grace", "1d");
        Properties kafka = c.kafkaProperties();
        assertThat(kafka).containsOnlyKeys("bootstrap.servers", "num.stream.threads", "producer.compression.type");
        assertThat(kafka.getProperty("bootstrap.servers")).isEqualTo("broker:9092");
        assertThat(kafka.getProperty("num.stream.threads")).isEqualTo("4");
        assertThat(c.kafka()).doesNotContainKey("engagement.grace");
        // A copy: changing it does not change the configuration.
        kafka.setProperty("bootstrap.servers", "other:1");
        assertThat(c.kafkaProperties().getProperty("bootstrap.servers")).isEqualTo("broker:9092");
    }

    @Test
    void badValuesNameTheKey() {
        refused("engagement.grace", "two days", "not a duration");
        refused("engagement.lateness-window", "28", "not a duration");
        refused("engagement.retention", "", "must not be empty");
        refused("engagement.grace", "-PT1H", "negative");
        refused("engagement.sketch.lg-k", "twelve", "not an integer");
        refused("engagement.sketch.lg-k", "3", "at least 4");
        refused("engagement.sketch.lg-k", "22", "21");
        refused("engagement.sketch.lg-k", "99999999999", "not an integer");
        refused("engagement.dimensions", "channel,client_id", "client_id");
        refused("engagement.dimensions", "", "must not be empty");
        refused("engagement.dimensions", " , ", "at least one dimension");
        refused("engagement.topic.pings", " ", "must not be empty");
        // Numbers too large for a duration are still a message naming the key.
        refused("engagement.grace", "99999999999999999999d", "not a duration");
        refused("engagement.grace", "999999999999999d", "not a duration");
    }

    @Test
    void deprecatedKeysAreAcceptedAndIgnored() {
        // engagement.flush-interval meant something before the store was written only at commit:
        // existing files that set it, even to what was then refused, still start.
        EngagementConfig c = config("engagement.flush-interval", "5ms");
        assertThat(c).isEqualTo(EngagementConfig.defaults(Map.of()));
        assertThat(c.kafka()).isEmpty();
        assertThat(EngagementConfig.DEPRECATED).containsKey("engagement.flush-interval");
    }

    @Test
    void typedSectionsAreReadAndCheckedAtLoad() {
        EngagementConfig c = EngagementConfig.defaults(Map.of("engagement.http.port", "0", "engagement.http.token", "t",
            "engagement.query.timeout", "2s", "engagement.query.max-groups", "7", "engagement.max-live-sketches", "10",
            "engagement.instance-id", "a-1", "engagement.release.min-clients", "5"));
        assertThat(c.http()).isEqualTo(new HttpSettings("127.0.0.1", 0, "t"));
        assertThat(c.http().hasToken()).isTrue();
        assertThat(c.query()).isEqualTo(new QuerySettings(100, 400, 7, 100_000, Duration.ofSeconds(2)));
        assertThat(c.release()).isEqualTo(new ReleaseSettings("app_version", 5));
        assertThat(c.maxLiveSketches()).isEqualTo(10);
        assertThat(c.instanceId()).isEqualTo("a-1");
        // A bad value fails at load, naming its key (before anything starts).
        refused("engagement.query.timeout", "soon", "engagement.query.timeout");
        refused("engagement.query.timeout", "0s", "must be more than 0");
        refused("engagement.http.port", "-1", "engagement.http.port");
        refused("engagement.query.max-groups", "0", "engagement.query.max-groups");
        refused("engagement.max-live-sketches", "many", "engagement.max-live-sketches");
        refused("engagement.release.min-clients", "0", "engagement.release.min-clients");
    }

    @Test
    void crossFieldChecks() {
        assertThatThrownBy(() -> config("engagement.retention", "29d"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("engagement.retention");
        assertThat(config("engagement.retention", "30d").retention()).isEqualTo(Duration.ofDays(30));
        assertThatThrownBy(() -> config("engagement.downstream-interval", "9ms"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("engagement.downstream-interval");
    }

    @Test
    void durations() {
        assertThat(Durations.parse("k", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("k", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("k", "5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("k", "6h")).isEqualTo(Duration.ofHours(6));
        assertThat(Durations.parse("k", "2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("k", "P2D")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("k", "PT1H30M")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("k", " 2d ")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("k", "2 d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("k", "0s")).isEqualTo(Duration.ZERO);
        for (String bad : new String[] {"", "2", "d", "2w", "2D", "1.5h", "two days", "P"}) {
            assertThatThrownBy(() -> Durations.parse("engagement.some-key", bad))
                .as("'%s'", bad)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("engagement.some-key");
        }
        for (String text : new String[] {"250ms", "30s", "5m", "6h", "2d", "400d", "1500ms", "90s"}) {
            assertThat(Durations.format(Durations.parse("k", text))).isEqualTo(text);
        }
        assertThat(Durations.format(Duration.ofHours(48))).isEqualTo("2d");
    }
}
