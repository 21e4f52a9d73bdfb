package dev.engagement.cli;

import dev.engagement.config.ConfigException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code demo --watch NAME=FILTER}: settings checked before anything starts. */
class DemoCommandTest {

    private static DemoCommand parse(String... args) {
        DemoCommand demo = new DemoCommand();
        new CommandLine(demo).parseArgs(args);
        return demo;
    }

    @Test
    void watchesBecomeWatchSettings() {
        assertThat(parse().watchSettings()).isEmpty();
        assertThat(parse("--watch", "release-linux=channel=release&os=Linux", "--watch", "all=").watchSettings())
            .isEqualTo(Map.of("engagement.watch.release-linux", "channel=release&os=Linux", "engagement.watch.all", ""));
    }

    private static Map<String, String> settings(DemoCommand demo, Map<String, String> env, List<String> ignored) {
        return demo.settings("embedded:1", Path.of("/data"), env, ignored::add);
    }

    @Test
    void runsSettingsApplyOverTheDemosDefaultsAndItsOwnFlagsOverThem(@TempDir Path dir) throws Exception {
        List<String> ignored = new ArrayList<>();
        Map<String, String> defaults = settings(parse(), Map.of(), ignored);
        assertThat(defaults).containsEntry("engagement.http.port", "8080").containsEntry("commit.interval.ms", "2000")
            .containsEntry("application.id", "engagement-demo").containsEntry("bootstrap.servers", "embedded:1")
            .containsEntry("state.dir", Path.of("/data").resolve("state").toString());

        Path file = dir.resolve("prod.properties");
        Files.writeString(file, "commit.interval.ms=5000\nengagement.http.port=9000\nengagement.grace=1d\n"
            + "bootstrap.servers=prod:9092\nsecurity.protocol=SASL_SSL\nproducer.ssl.truststore.location=/t\n"
            + "engagement.schema-registry.url=http://registry:8081\nstate.dir=/var/lib/engagement\n");
        Map<String, String> fromFile = settings(parse("--config", file.toString(), "--property", "engagement.grace=3d"),
            Map.of("ENGAGEMENT_COMMIT_INTERVAL_MS", "4000"), ignored);
        assertThat(fromFile).containsEntry("commit.interval.ms", "4000").containsEntry("engagement.http.port", "9000")
            .containsEntry("engagement.grace", "3d").containsEntry("bootstrap.servers", "embedded:1")
            .containsEntry("state.dir", Path.of("/data").resolve("state").toString())
            .doesNotContainKeys("security.protocol", "producer.ssl.truststore.location", "engagement.schema-registry.url");
        assertThat(ignored).containsExactlyInAnyOrder("bootstrap.servers", "security.protocol",
            "producer.ssl.truststore.location", "engagement.schema-registry.url", "state.dir");
        assertThat(DemoCommand.check(fromFile).grace()).hasDays(3);

        // The demo's own flags, when given, beat the settings.
        assertThat(settings(parse("--config", file.toString(), "--http-port", "8181", "--dimensions", "channel,os"),
            Map.of(), new ArrayList<>()))
            .containsEntry("engagement.http.port", "8181").containsEntry("engagement.dimensions", "channel,os");
    }

    @Test
    void aBadSettingFailsBeforeTheBrokerStartsNamingTheKey() {
        assertThatThrownBy(() -> DemoCommand.check(settings(parse("--property", "engagement.grace=soon"), Map.of(),
            new ArrayList<>()))).isInstanceOf(ConfigException.class).hasMessageContaining("engagement.grace");
        assertThatThrownBy(() -> DemoCommand.check(settings(parse("--property", "commit.interval.ms=often"), Map.of(),
            new ArrayList<>()))).isInstanceOf(ConfigException.class).hasMessageContaining("commit.interval.ms");
        assertThatThrownBy(() -> settings(parse("--property", "comit.interval.ms=1"), Map.of(), new ArrayList<>()))
            .isInstanceOf(ConfigException.class).hasMessageContaining("comit.interval.ms");
        assertThatThrownBy(() -> settings(parse("--config", "/no/such.properties"), Map.of(), new ArrayList<>()))
            .isInstanceOf(ConfigException.class).hasMessageContaining("/no/such.properties");
    }

    @Test
    void aBadWatchFailsBeforeTheBrokerStarts() {
        assertThatThrownBy(() -> parse("--watch", "channel").watchSettings())
            .isInstanceOf(ConfigException.class).hasMessageContaining("--watch 'channel': expected NAME=FILTER");
        assertThatThrownBy(() -> parse("--watch", "=channel=release").watchSettings())
            .isInstanceOf(ConfigException.class).hasMessageContaining("expected NAME=FILTER");
        // Checked against the demo's dimensions, not the defaults.
        assertThatThrownBy(() -> parse("--dimensions", "channel,os", "--watch", "de=country=DE").watchSettings())
            .isInstanceOf(ConfigException.class).hasMessageContaining("engagement.watch.de")
            .hasMessageContaining("unknown dimension 'country'");
        assertThat(parse("--watch", "de=country=DE").watchSettings()).containsKey("engagement.watch.de");
    }
}
