package dev.engagement.cli;

import dev.engagement.config.ConfigException;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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
