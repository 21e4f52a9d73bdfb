package dev.engagement.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code engagement.watch.<name>=<filter>}: parsed at load, and refused at load when it cannot work. */
class WatchTest {

    private static EngagementConfig config(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return EngagementConfig.from(p);
    }

    private static void refused(String key, String value, String... messageParts) {
        assertThatThrownBy(() -> config("engagement.dimensions", "channel,os,attributes.branch", key, value))
            .as("%s=%s", key, value)
            .isInstanceOf(ConfigException.class)
            .hasMessageStartingWith(key + ": ")
            .hasMessageContainingAll(messageParts);
    }

    @Test
    void noWatchesByDefault() {
        assertThat(EngagementConfig.defaults(Map.of()).watches()).isEmpty();
    }

    @Test
    void filtersParseAsInTheQueryString() {
        EngagementConfig c = config(
            "engagement.watch.release-linux", "channel=release&os=Linux",
            // Repeated dimensions add values, lists are comma-separated, values trimmed and sorted,
            // percent-encoding and '+' decoded, empty pairs ignored.
            "engagement.watch.mixed", "os=Windows_NT, Darwin&&channel=beta&os=Linux,&attributes.branch=a%26b+c",
            // Empty: every segment.
            "engagement.watch.all", "",
            "engagement.dimensions", "channel,os,attributes.branch");
        assertThat(c.watches().keySet()).containsExactly("all", "mixed", "release-linux");
        assertThat(c.watches().get("release-linux"))
            .isEqualTo(new Watch("release-linux", Map.of("channel", Set.of("release"), "os", Set.of("Linux"))));
        Watch mixed = c.watches().get("mixed");
        assertThat(mixed.filters().keySet()).containsExactly("attributes.branch", "channel", "os");
        assertThat(mixed.filters().get("os")).containsExactly("Darwin", "Linux", "Windows_NT");
        assertThat(mixed.filters().get("channel")).containsExactly("beta");
        assertThat(mixed.filters().get("attributes.branch")).containsExactly("a&b c");
        assertThat(c.watches().get("all").filters()).isEmpty();
        // The start-up summary names each watch.
        assertThat(c.summary()).contains("engagement.watch.release-linux: {channel=[release], os=[Linux]}");
    }

    @Test
    void theFiltersAreImmutable() {
        Watch w = config("engagement.watch.w", "channel=release", "engagement.dimensions", "channel").watches().get("w");
        assertThatThrownBy(() -> w.filters().put("os", Set.of("Linux"))).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> w.filters().get("channel").add("beta")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void badWatchesFailAtLoadNamingTheKey() {
        refused("engagement.watch.w", "country=DE", "unknown dimension 'country'", "[channel, os, attributes.branch]");
        refused("engagement.watch.w", "channel", "'channel' is not dimension=value");
        refused("engagement.watch.w", "channel=release&os", "'os' is not dimension=value");
        refused("engagement.watch.w", "channel=", "the filter on 'channel' has no values");
        refused("engagement.watch.w", "channel= , ,", "the filter on 'channel' has no values");
        refused("engagement.watch.w", "from=2026-11-01&channel=release", "'from' is not a filter");
        refused("engagement.watch.w", "channel=release&groupBy=os", "'groupBy' is not a filter");
        refused("engagement.watch.w", "metrics=er", "'metrics' is not a filter");
        refused("engagement.watch.w", "channel=%zz", "malformed percent-encoding");
        refused("engagement.watch.", "channel=release", "the watch name ''");
        refused("engagement.watch.a b", "channel=release", "the watch name 'a b'");
        refused("engagement.watch.a\"b", "channel=release", "letters, digits");
        refused("engagement.watch." + "y".repeat(65), "channel=release", "1 to 64");
    }

    @Test
    void aFilterIsCheckedAgainstTheConfiguredDimensionsNotTheDefaults() {
        // app_version is a default dimension, but not one of these.
        assertThatThrownBy(() -> config("engagement.dimensions", "channel", "engagement.watch.v", "app_version=1.0"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("engagement.watch.v")
            .hasMessageContaining("unknown dimension 'app_version'");
        assertThat(config("engagement.watch.v", "app_version=1.0").watches().get("v").filters())
            .isEqualTo(Map.of("app_version", Set.of("1.0")));
    }

    @Test
    void parseAloneGivesTheSameAsTheConfig() {
        Watch w = Watch.parse("engagement.watch.n", "os=Linux,Darwin", List.of("os"));
        assertThat(w.name()).isEqualTo("n");
        assertThat(w.filters().get("os")).containsExactly("Darwin", "Linux");
    }
}
