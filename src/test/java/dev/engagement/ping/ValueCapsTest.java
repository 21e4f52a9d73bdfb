package dev.engagement.ping;

import dev.engagement.avro.Ping;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ValueCapsTest {

    private final List<String> told = new ArrayList<>();
    private final ValueCaps caps = new ValueCaps(
        List.of(new Dimension("channel", 2), new Dimension("os", 0), new Dimension("attributes.branch", 3)),
        (dimension, value) -> told.add(dimension.name() + "=" + value));

    private static Ping ping(String channel, String os) {
        return ping(channel, os, null);
    }

    private static Ping ping(String channel, String os, String branch) {
        return Ping.newBuilder().setClientId("id").setSubmissionTimestamp(Instant.parse("2026-03-10T12:00:00Z"))
            .setChannel(channel).setOs(os).setAttributes(branch == null ? null : Map.of("branch", branch)).build();
    }

    @Test
    void foldsValuesPastTheCapIntoOther() {
        assertThat(caps.segmentOf(ping("release", "Linux"))).containsExactly("release", "Linux", "(none)");
        assertThat(caps.segmentOf(ping("beta", "Darwin"))).containsExactly("beta", "Darwin", "(none)");
        // The third distinct channel folds.
        assertThat(caps.segmentOf(ping("nightly", "Windows_NT"))).containsExactly("Other", "Windows_NT", "(none)");
        assertThat(caps.segmentOf(ping("esr", "Linux"))).containsExactly("Other", "Linux", "(none)");
        // Admitted values stay admitted.
        assertThat(caps.segmentOf(ping("beta", "Linux"))).containsExactly("beta", "Linux", "(none)");
        assertThat(caps.segmentOf(ping("release", "Linux"))).containsExactly("release", "Linux", "(none)");
        // A folded value stays folded: first come, first served.
        assertThat(caps.segmentOf(ping("nightly", "Linux"))).containsExactly("Other", "Linux", "(none)");
        assertThat(caps.admittedCount("channel")).isEqualTo(2);
        assertThat(caps.admittedCount("unknown")).isZero();
    }

    @Test
    void uncappedDimensionsKeepEveryValue() {
        for (int i = 0; i < 5_000; i++) {
            assertThat(caps.segmentOf(ping("release", "os-" + i))[1]).isEqualTo("os-" + i);
        }
        // Cap 0 means no cap, and nothing is tracked for it.
        assertThat(caps.admittedCount("os")).isZero();
        assertThat(told).containsExactly("channel=release", "attributes.branch=(none)");
    }

    @Test
    void placeholderCountsAsAValue() {
        assertThat(caps.segmentOf(ping(null, null))).containsExactly("(none)", "(none)", "(none)");
        assertThat(caps.segmentOf(ping("", ""))).containsExactly("(none)", "(none)", "(none)");
        assertThat(caps.segmentOf(ping("release", "Linux"))).containsExactly("release", "Linux", "(none)");
        assertThat(caps.segmentOf(ping("beta", "Linux"))[0]).isEqualTo("Other");
        assertThat(told).containsExactly("channel=(none)", "attributes.branch=(none)", "channel=release");
    }

    @Test
    void otherAndOverlongValuesDoNotUseUpTheCap() {
        assertThat(caps.segmentOf(ping("Other", "Linux"))[0]).isEqualTo("Other");
        assertThat(caps.segmentOf(ping("x".repeat(200), "Linux"))[0]).isEqualTo("Other");
        assertThat(caps.admittedCount("channel")).isZero();
        assertThat(caps.segmentOf(ping("release", "Linux"))[0]).isEqualTo("release");
        assertThat(caps.segmentOf(ping("beta", "Linux"))[0]).isEqualTo("beta");
        assertThat(told).containsExactly("attributes.branch=(none)", "channel=release", "channel=beta");
    }

    @Test
    void listenerIsToldOncePerValue() {
        for (int round = 0; round < 3; round++) {
            caps.segmentOf(ping("release", "Linux", "control"));
            caps.segmentOf(ping("beta", "Linux", "treatment"));
            caps.segmentOf(ping("nightly", "Linux", "treatment"));
        }
        assertThat(told).containsExactly(
            "channel=release", "attributes.branch=control",
            "channel=beta", "attributes.branch=treatment");
    }

    @Test
    void restoreAdmitsWithoutTellingTheListener() {
        caps.restore("channel", "nightly");
        caps.restore("channel", "beta");
        caps.restore("channel", "beta");
        caps.restore("unknown", "x");
        assertThat(told).isEmpty();
        assertThat(caps.admittedCount("channel")).isEqualTo(2);
        // Restored values pass, and the cap is already full.
        assertThat(caps.segmentOf(ping("nightly", "Linux"))[0]).isEqualTo("nightly");
        assertThat(caps.segmentOf(ping("beta", "Linux"))[0]).isEqualTo("beta");
        assertThat(caps.segmentOf(ping("release", "Linux"))[0]).isEqualTo("Other");
        assertThat(told).containsExactly("attributes.branch=(none)");
    }

    @Test
    void replayAfterRestoreGivesTheSameSegments() {
        List<Ping> pings = List.of(ping("release", "a", "x"), ping("beta", "b", "y"), ping("nightly", "c", "z"),
            ping("esr", "d", "w"), ping("beta", "e", "x"));
        List<String> before = new ArrayList<>();
        for (Ping p : pings) {
            before.add(String.join("|", caps.segmentOf(p)));
        }
        // A restart: a fresh instance restored from what the listener persisted.
        ValueCaps restarted = new ValueCaps(
            List.of(new Dimension("channel", 2), new Dimension("os", 0), new Dimension("attributes.branch", 3)),
            (d, v) -> { throw new AssertionError("already admitted: " + d.name() + "=" + v); });
        for (String entry : told) {
            int eq = entry.indexOf('=');
            restarted.restore(entry.substring(0, eq), entry.substring(eq + 1));
        }
        List<String> after = new ArrayList<>();
        for (Ping p : pings) {
            after.add(String.join("|", restarted.segmentOf(p)));
        }
        assertThat(after).isEqualTo(before);
        assertThat(before).containsExactly("release|a|x", "beta|b|y", "Other|c|z", "Other|d|Other", "beta|e|x");
    }
}
