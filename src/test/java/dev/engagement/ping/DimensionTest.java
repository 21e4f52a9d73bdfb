package dev.engagement.ping;

import dev.engagement.avro.Ping;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DimensionTest {

    private static Ping.Builder base() {
        return Ping.newBuilder().setClientId("id").setSubmissionTimestamp(Instant.parse("2026-03-10T12:00:00Z"));
    }

    private static String value(String dimension, Ping ping) {
        return new Dimension(dimension, 0).rawValue(ping);
    }

    @Test
    void readsEachField() {
        Ping ping = base().setAppName("Firefox").setChannel("beta").setOs("Linux").setOsVersion("6.8")
            .setCountry("DE").setLocale("de-DE").setAppVersion("128.0").build();
        assertThat(value("app_name", ping)).isEqualTo("Firefox");
        assertThat(value("channel", ping)).isEqualTo("beta");
        assertThat(value("os", ping)).isEqualTo("Linux");
        assertThat(value("os_version", ping)).isEqualTo("6.8");
        assertThat(value("country", ping)).isEqualTo("DE");
        assertThat(value("locale", ping)).isEqualTo("de-DE");
        assertThat(value("app_version", ping)).isEqualTo("128.0");
        assertThat(Dimension.FIELDS).containsExactlyInAnyOrder(
            "app_name", "channel", "os", "os_version", "country", "locale", "app_version");
    }

    @Test
    void placeholderForMissingOrEmpty() {
        Ping missing = base().build();
        for (String field : Dimension.FIELDS) {
            assertThat(value(field, missing)).as(field).isEqualTo(Dimension.NONE);
        }
        assertThat(value("attributes.branch", missing)).isEqualTo(Dimension.NONE);
        Ping empty = base().setChannel("").setAttributes(Map.of("branch", "")).build();
        assertThat(value("channel", empty)).isEqualTo(Dimension.NONE);
        assertThat(value("attributes.branch", empty)).isEqualTo(Dimension.NONE);
        assertThat(Dimension.NONE).isEqualTo("(none)");
        // Blank is not empty: kept as is.
        assertThat(value("channel", base().setChannel(" ").build())).isEqualTo(" ");
    }

    @Test
    void attributeDimensions() {
        Map<String, String> attributes = new HashMap<>();
        attributes.put("experiment.branch", "treatment");
        attributes.put("channel", "from-attributes");
        attributes.put("nullvalue", null);
        Ping ping = base().setChannel("release").setAttributes(attributes).build();
        assertThat(value("attributes.experiment.branch", ping)).isEqualTo("treatment");
        assertThat(value("attributes.channel", ping)).isEqualTo("from-attributes");
        assertThat(value("channel", ping)).isEqualTo("release");
        assertThat(value("attributes.absent", ping)).isEqualTo(Dimension.NONE);
        assertThat(value("attributes.nullvalue", ping)).isEqualTo(Dimension.NONE);
    }

    @Test
    void longValuesFoldIntoOther() {
        String max = "v".repeat(Dimension.MAX_VALUE_LENGTH);
        assertThat(value("os", base().setOs(max).build())).isEqualTo(max);
        assertThat(value("os", base().setOs(max + "v").build())).isEqualTo(Dimension.OTHER);
        assertThat(value("attributes.k", base().setAttributes(Map.of("k", "x".repeat(500))).build()))
            .isEqualTo(Dimension.OTHER);
        assertThat(Dimension.OTHER).isEqualTo("Other");
    }

    @Test
    void validNames() {
        for (String name : Dimension.FIELDS) {
            assertThat(Dimension.isValidName(name)).isTrue();
        }
        assertThat(Dimension.isValidName("attributes.branch")).isTrue();
        assertThat(Dimension.isValidName("attributes.a.b")).isTrue();
        for (String bad : new String[] {null, "", "client_id", "submission_timestamp", "Channel", "attributes",
            "attributes.", "attribute.x", " os", "os "}) {
            assertThat(Dimension.isValidName(bad)).as("%s", bad).isFalse();
        }
    }

    @Test
    void invalidDimensionsAreRefused() {
        assertThatThrownBy(() -> new Dimension("client_id", 10))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("client_id")
            .hasMessageContaining("attributes.<key>");
        assertThatThrownBy(() -> new Dimension("attributes.", 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Dimension(null, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Dimension("os", -1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("os");
        assertThat(new Dimension("os", 0).maxValues()).isZero();
    }
}
