package dev.engagement.cli;

import dev.engagement.config.ConfigException;
import dev.engagement.config.EngagementConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigFilesTest {

    @TempDir
    Path dir;

    @Test
    void environmentVariablesMapToKafkaAndEngagementKeys() {
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_BOOTSTRAP_SERVERS")).isEqualTo("bootstrap.servers");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_HTTP_PORT")).isEqualTo("engagement.http.port");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_SCHEMA__REGISTRY_URL")).isEqualTo("engagement.schema-registry.url");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_APPLICATION_SERVER")).isEqualTo("application.server");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_SECURITY_PROTOCOL")).isEqualTo("security.protocol");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_WATCH_RELEASE_LINUX")).isEqualTo("engagement.watch.release_linux");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_WATCH_BETA__DE")).isEqualTo("engagement.watch.beta-de");
        // A dimension's cap keeps the underscores of its name; ATTRIBUTES_ is attributes.
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_DIMENSION_APP_VERSION_MAX__VALUES"))
            .isEqualTo("engagement.dimension.app_version.max-values");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_DIMENSION_OS_MAX__VALUES")).isEqualTo("engagement.dimension.os.max-values");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_DIMENSION_ATTRIBUTES_BUILD_ID_MAX__VALUES"))
            .isEqualTo("engagement.dimension.attributes.build_id.max-values");
        assertThat(ConfigFiles.keyOf("ENGAGEMENT_DIMENSION_MAX__VALUES")).isEqualTo("engagement.dimension.max-values");
    }

    @Test
    void theEnvironmentOverridesTheFile() throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nengagement.grace=3d\nsasl.mechanism=PLAIN\n");
        Properties p = ConfigFiles.load(file, Map.of("ENGAGEMENT_BOOTSTRAP_SERVERS", "env:9092", "PATH", "/bin",
            "ENGAGEMENT_LOG_LEVEL", "DEBUG"));
        EngagementConfig config = EngagementConfig.from(p);
        assertThat(config.kafka()).containsEntry("bootstrap.servers", "env:9092").containsEntry("sasl.mechanism", "PLAIN")
            .doesNotContainKey("log.level");
        assertThat(config.grace()).hasDays(3);
    }

    @Test
    void propertiesOverrideTheEnvironmentAndTheFileLaterOnesWinning() throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "engagement.grace=3d\ncommit.interval.ms=9000\n");
        Properties p = ConfigFiles.load(file, Map.of("ENGAGEMENT_GRACE", "4d"),
            List.of("engagement.grace=5d", "commit.interval.ms = 100", "commit.interval.ms=200", "consumer.max.poll.records=7"));
        assertThat(p).containsEntry("engagement.grace", "5d").containsEntry("commit.interval.ms", "200")
            .containsEntry("consumer.max.poll.records", "7");
        assertThat(ConfigFiles.load(file, Map.of("ENGAGEMENT_GRACE", "4d"), List.of())).containsEntry("engagement.grace", "4d");
    }

    @Test
    void aBadPropertyIsAnErrorNamingIt() {
        assertThatThrownBy(() -> ConfigFiles.load(null, Map.of(), List.of("engagement.grace")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("--property 'engagement.grace': expected KEY=VALUE");
        assertThatThrownBy(() -> ConfigFiles.load(null, Map.of(), List.of("=3d")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("expected KEY=VALUE");
        assertThatThrownBy(() -> ConfigFiles.load(null, Map.of(), List.of("comit.interval.ms=100")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("--property comit.interval.ms")
            .hasMessageContaining("neither an Engagement setting nor a Kafka");
    }

    @Test
    void aVariableThatMapsToNoSettingIsAnError() {
        assertThatThrownBy(() -> ConfigFiles.load(null, Map.of("ENGAGEMENT_GRACEE", "2d")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("ENGAGEMENT_GRACEE");
        // Kafka keys with a Streams client prefix are fine.
        assertThat(ConfigFiles.load(null, Map.of("ENGAGEMENT_CONSUMER_MAX_POLL_RECORDS", "100")))
            .containsEntry("consumer.max.poll.records", "100");
    }

    @Test
    void anUnreadableFileIsAOneLineError() {
        assertThatThrownBy(() -> ConfigFiles.load(dir.resolve("missing.properties"), Map.of()))
            .isInstanceOf(ConfigException.class).hasMessageContaining("cannot read config file");
    }
}
