package dev.engagement.ping;

import dev.engagement.avro.Ping;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SegmentIndexTest {

    private static final List<Dimension> DIMENSIONS = List.of(
        new Dimension("channel", 2), new Dimension("os", 0), new Dimension("country", 0),
        new Dimension("attributes.branch", 3));

    private final List<String> told = new ArrayList<>();
    private final ValueCaps caps = new ValueCaps(DIMENSIONS, (dimension, value) -> told.add(dimension.name() + "=" + value));
    private final SegmentIndex index = new SegmentIndex(caps);

    private static Ping ping(String channel, String os, String country, String branch) {
        return Ping.newBuilder().setClientId("id").setSubmissionTimestamp(Instant.parse("2026-03-10T12:00:00Z"))
            .setChannel(channel).setOs(os).setCountry(country)
            .setAttributes(branch == null ? null : Map.of("branch", branch)).build();
    }

    /** A fresh ValueCaps with the same dimensions, to compute the expected segment of each ping. */
    private static ValueCaps freshCaps() {
        return new ValueCaps(DIMENSIONS, (dimension, value) -> { });
    }

    @Test
    void sameTupleGivesSameIdAndNewTuplesGetDenseIds() {
        int first = index.idOf(ping("release", "Linux", "DE", "control"));
        int second = index.idOf(ping("beta", "Linux", "DE", "control"));
        int third = index.idOf(ping("release", "Darwin", "DE", "control"));

        assertThat(List.of(first, second, third)).containsExactly(0, 1, 2);
        // A different Ping instance with equal values is the same segment.
        assertThat(index.idOf(ping("release", "Linux", "DE", "control"))).isEqualTo(first);
        assertThat(index.idOf(ping("beta", "Linux", "DE", "control"))).isEqualTo(second);
        assertThat(index.size()).isEqualTo(3);
    }

    @Test
    void manyDistinctTuplesKeepDenseIdsThroughRehashes() {
        // 4 channels (2 fold into Other) x 60 os x 40 countries x 5 branches (2 fold into Other):
        // 3 x 60 x 40 x 4 = 28,800 distinct segments, far past the initial table of 128 slots.
        List<Ping> pings = new ArrayList<>();
        String[] channels = {"release", "beta", "nightly", "esr"};
        String[] branches = {"control", "treatment", "", "holdout", "x"};
        for (String channel : channels) {
            for (int os = 0; os < 60; os++) {
                for (int country = 0; country < 40; country++) {
                    for (String branch : branches) {
                        pings.add(ping(channel, "os-" + os, "c" + country, branch));
                    }
                }
            }
        }
        Collections.shuffle(pings, new Random(42));

        ValueCaps expectedCaps = freshCaps();
        Map<List<String>, Integer> expectedIds = new HashMap<>();
        List<List<String>> segmentOfId = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (Ping p : pings) {
            List<String> segment = List.of(expectedCaps.segmentOf(p));
            // A new segment gets the next dense id; a known one keeps its id.
            int expected = expectedIds.computeIfAbsent(segment, s -> {
                segmentOfId.add(s);
                return segmentOfId.size() - 1;
            });
            int id = index.idOf(p);
            if (id != expected) {
                wrong.add(segment + " got " + id + ", expected " + expected);
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(expectedIds).hasSizeGreaterThan(20_000);
        assertThat(index.size()).isEqualTo(expectedIds.size());

        // Every id maps back to the tuple it was created for.
        for (int id = 0; id < index.size(); id++) {
            if (!Arrays.asList(index.values(id)).equals(segmentOfId.get(id))) {
                wrong.add("id " + id + " maps to " + Arrays.toString(index.values(id)) + ", expected " + segmentOfId.get(id));
            }
        }
        assertThat(wrong).isEmpty();

        // After all the rehashes, every ping still finds its id, in another order.
        Collections.shuffle(pings, new Random(7));
        for (Ping p : pings) {
            List<String> segment = List.of(expectedCaps.segmentOf(p));
            int id = index.idOf(p);
            if (id != expectedIds.get(segment)) {
                wrong.add(segment + " now got " + id + ", expected " + expectedIds.get(segment));
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(index.size()).isEqualTo(expectedIds.size());
    }

    @Test
    void valuesPastTheCapShareTheOtherSegment() {
        int release = index.idOf(ping("release", "Linux", "DE", null));
        int beta = index.idOf(ping("beta", "Linux", "DE", null));
        int nightly = index.idOf(ping("nightly", "Linux", "DE", null));
        int esr = index.idOf(ping("esr", "Linux", "DE", null));

        assertThat(release).isNotEqualTo(beta);
        assertThat(nightly).isNotIn(release, beta);
        // The third and fourth distinct channels fold into one Other segment.
        assertThat(esr).isEqualTo(nightly);
        assertThat(index.values(nightly)).containsExactly("Other", "Linux", "DE", "(none)");
        assertThat(index.size()).isEqualTo(3);
        // An uncapped dimension still splits the folded segment.
        assertThat(index.idOf(ping("esr", "Darwin", "DE", null))).isNotEqualTo(nightly);
    }

    @Test
    void literalOtherAndOverlongValuesShareTheFoldedSegment() {
        index.idOf(ping("release", "Linux", "DE", null));
        index.idOf(ping("beta", "Linux", "DE", null));
        int folded = index.idOf(ping("nightly", "Linux", "DE", null));
        for (int round = 0; round < 3; round++) {
            assertThat(index.idOf(ping("Other", "Linux", "DE", null))).isEqualTo(folded);
            assertThat(index.idOf(ping("x".repeat(200), "Linux", "DE", null))).isEqualTo(folded);
            assertThat(index.idOf(ping("esr", "Linux", "DE", null))).isEqualTo(folded);
            assertThat(index.idOf(ping("nightly", "Linux", "DE", null))).isEqualTo(folded);
            // Admitted values keep their own segments.
            assertThat(index.idOf(ping("beta", "Linux", "DE", null))).isNotEqualTo(folded);
        }
        assertThat(index.size()).isEqualTo(3);
        assertThat(told).containsExactly("channel=release", "attributes.branch=(none)", "channel=beta");
    }

    @Test
    void missingAndEmptyValuesBecomeNone() {
        int missing = index.idOf(ping(null, null, null, null));
        int empty = index.idOf(ping("", "", "", ""));
        assertThat(empty).isEqualTo(missing);
        assertThat(index.values(missing)).containsExactly("(none)", "(none)", "(none)", "(none)");
        // An attribute map without the key is missing too.
        Ping otherAttribute = Ping.newBuilder(ping(null, null, null, null)).setAttributes(Map.of("other", "x")).build();
        assertThat(index.idOf(otherAttribute)).isEqualTo(missing);
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void idOfKnownMatchesIdOfWithoutTellingTheListener() {
        String[] values = {"beta", "Linux", "FR", "treatment"};
        int known = index.idOfKnown(values);
        assertThat(told).isEmpty();
        assertThat(index.values(known)).containsExactly(values);
        // A ping with those values now finds the reloaded segment, and they stay admitted.
        assertThat(index.idOf(ping("beta", "Linux", "FR", "treatment"))).isEqualTo(known);
        assertThat(told).isEmpty();
        assertThat(index.idOfKnown(values.clone())).isEqualTo(known);
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void idOfKnownFindsASegmentFirstSeenInAPing() {
        int seen = index.idOf(ping("release", "Darwin", "", null));
        told.clear();
        assertThat(index.idOfKnown(new String[] {"release", "Darwin", "(none)", "(none)"})).isEqualTo(seen);
        assertThat(index.idOfKnown(new String[] {"Other", "Darwin", "(none)", "(none)"})).isNotEqualTo(seen);
        assertThat(told).isEmpty();
        assertThat(index.size()).isEqualTo(2);
    }

    @Test
    void idOfKnownAdmitsStoredValuesPastTheCap() {
        // Stored keys were admitted when first seen: reloading them ignores the cap.
        int a = index.idOfKnown(new String[] {"release", "Linux", "DE", "(none)"});
        int b = index.idOfKnown(new String[] {"beta", "Linux", "DE", "(none)"});
        int c = index.idOfKnown(new String[] {"nightly", "Linux", "DE", "(none)"});
        assertThat(List.of(a, b, c)).doesNotHaveDuplicates();
        assertThat(index.values(c)).containsExactly("nightly", "Linux", "DE", "(none)");
        assertThat(index.idOf(ping("nightly", "Linux", "DE", null))).isEqualTo(c);
        // The cap is full: a new channel folds.
        assertThat(index.values(index.idOf(ping("esr", "Linux", "DE", null))))
            .containsExactly("Other", "Linux", "DE", "(none)");
        assertThat(told).isEmpty();
    }

    @Test
    void idOfKnownRejectsAWrongNumberOfValues() {
        assertThatThrownBy(() -> index.idOfKnown(new String[] {"release", "Linux", "DE"}))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.idOfKnown(new String[] {"release", "Linux", "DE", "x", "y"}))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.idOfKnown(new String[0]))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(index.size()).isZero();
        assertThat(told).isEmpty();
    }

    @Test
    void valuesOfAnUnknownIdThrows() {
        assertThatThrownBy(() -> index.values(0)).isInstanceOf(IndexOutOfBoundsException.class);
        int id = index.idOf(ping("release", "Linux", "DE", null));
        assertThat(index.values(id)).isNotNull();
        assertThatThrownBy(() -> index.values(id + 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> index.values(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> index.values(Integer.MAX_VALUE)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void valuesAreACopy() {
        int id = index.idOf(ping("release", "Linux", "DE", null));
        String[] values = index.values(id);
        values[0] = "tampered";
        assertThat(index.values(id)).containsExactly("release", "Linux", "DE", "(none)");
        assertThat(Arrays.asList(index.values(id))).doesNotContain("tampered");
    }
}
