package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SegmentDayKeyTest {

    private static final int DAY = 20_362; // 2025-10-01

    /** RocksDB's default comparator: unsigned lexicographic byte order. */
    private static int compare(Bytes a, Bytes b) {
        return Arrays.compareUnsigned(a.get(), b.get());
    }

    private static String repeat(String s, int times) {
        return s.repeat(times);
    }

    @Test
    void roundTripsDayAndValues() {
        String[][] segments = {
            {},
            {""},
            {"", "", ""},
            {"Firefox", "release", "Windows_NT", "DE", "128.0"},
            {"(none)", "Other"},
            {"日本語", "emoji 🦊", "é", "\u0000nul inside"},
            {repeat("a", 127)},
            {repeat("a", 128)},              // first length needing a two-byte varint
            {repeat("é", 100)},              // 100 characters, 200 bytes
            {repeat("🦊", 40), "x"},         // surrogate pairs, 160 bytes
            {repeat("z", 16_383), repeat("y", 16_384)}, // largest two-byte varint, smallest three-byte one
        };
        for (int day : new int[] {0, 1, 255, 256, DAY, 65_536, Integer.MAX_VALUE}) {
            for (String[] values : segments) {
                Bytes key = SegmentDayKey.of(day, values);
                assertThat(SegmentDayKey.day(key.get())).isEqualTo(day);
                assertThat(SegmentDayKey.values(key.get())).as("day %d, %s", day, Arrays.toString(values))
                    .containsExactly(values);
                assertThat(SegmentDayKey.isMeta(key.get())).isFalse();
            }
        }
    }

    @Test
    void valueBoundsPointAtEachValuesBytesWithoutDecoding() {
        String[] values = {"release", "", "x".repeat(200), "Zürich", "(none)"};
        byte[] key = SegmentDayKey.of(20_000, values).get();
        int[] offsets = new int[values.length];
        int[] lengths = new int[values.length];
        assertThat(SegmentDayKey.valueBounds(key, offsets, lengths)).isEqualTo(values.length);
        for (int i = 0; i < values.length; i++) {
            assertThat(new String(key, offsets[i], lengths[i], StandardCharsets.UTF_8)).isEqualTo(values[i]);
        }
        // Reads no more values than there is room for.
        assertThat(SegmentDayKey.valueBounds(key, new int[2], new int[2])).isEqualTo(2);
    }

    @Test
    void varintLengths() {
        // 4 bytes of day, then varint length and UTF-8 bytes.
        assertThat(SegmentDayKey.of(DAY, new String[] {repeat("a", 127)}).get()).hasSize(4 + 1 + 127);
        assertThat(SegmentDayKey.of(DAY, new String[] {repeat("a", 128)}).get()).hasSize(4 + 2 + 128);
        assertThat(SegmentDayKey.of(DAY, new String[] {repeat("é", 64)}).get()).hasSize(4 + 2 + 128);
        assertThat(SegmentDayKey.of(DAY, new String[] {repeat("a", 16_384)}).get()).hasSize(4 + 3 + 16_384);
        assertThat(SegmentDayKey.of(DAY, new String[] {}).get()).hasSize(4);
        assertThat(SegmentDayKey.of(DAY, new String[] {}).get()).isEqualTo(SegmentDayKey.dayStart(DAY).get());
    }

    @Test
    void distinctSegmentsGiveDistinctKeys() {
        // Length prefixes keep the encoding unambiguous where plain concatenation would not be.
        List<String[]> segments = List.of(
            new String[] {"ab", "c"}, new String[] {"a", "bc"}, new String[] {"abc", ""},
            new String[] {"", "abc"}, new String[] {"abc"}, new String[] {"a", "b", "c"});
        List<Bytes> keys = new ArrayList<>();
        for (String[] values : segments) {
            keys.add(SegmentDayKey.of(DAY, values));
        }
        assertThat(keys).doesNotHaveDuplicates();
        assertThat(SegmentDayKey.of(DAY, new String[] {"a"})).isNotEqualTo(SegmentDayKey.of(DAY + 1, new String[] {"a"}));
        // Equal segments give equal keys (HashMap lookups in the fold rely on it).
        assertThat(SegmentDayKey.of(DAY, new String[] {"ab", "c"})).isEqualTo(SegmentDayKey.of(DAY, new String[] {"ab", "c"}))
            .hasSameHashCodeAs(SegmentDayKey.of(DAY, new String[] {"ab", "c"}));
    }

    @Test
    void keysOfADaySortWithinItsRange() {
        Random rnd = new Random(5);
        // Day boundaries where a higher byte of the day changes are the interesting ones.
        for (int day : new int[] {0, 254, 255, 256, 65_535, DAY, 16_777_215, Integer.MAX_VALUE - 1}) {
            Bytes start = SegmentDayKey.dayStart(day);
            Bytes end = SegmentDayKey.dayStart(day + 1);
            assertThat(compare(start, end)).isNegative();
            for (int i = 0; i < 200; i++) {
                String[] values = randomValues(rnd);
                Bytes key = SegmentDayKey.of(day, values);
                assertThat(compare(start, key)).as("day %d %s", day, Arrays.toString(values)).isLessThanOrEqualTo(0);
                assertThat(compare(key, end)).as("day %d %s", day, Arrays.toString(values)).isNegative();
                // Kafka's own comparator (used by in-memory stores) agrees.
                assertThat(Bytes.BYTES_LEXICO_COMPARATOR.compare(key.get(), end.get())).isNegative();
                assertThat(key.compareTo(start)).isGreaterThanOrEqualTo(0);
            }
        }
    }

    @Test
    void keysOrderByDayFirst() {
        Bytes early = SegmentDayKey.of(DAY, new String[] {repeat("\uffff", 50)});
        Bytes late = SegmentDayKey.of(DAY + 1, new String[] {""});
        assertThat(compare(early, late)).isNegative();
        // Day 128 has a byte >= 0x80: signed comparison would put it before day 127.
        assertThat(compare(SegmentDayKey.of(127, new String[] {"a"}), SegmentDayKey.of(128, new String[] {"a"}))).isNegative();
        assertThat(compare(SegmentDayKey.of(0x7f_ff, new String[] {}), SegmentDayKey.of(0x80_00, new String[] {}))).isNegative();
    }

    @Test
    void metaKeysSortAfterEveryDataKey() {
        Random rnd = new Random(6);
        List<Bytes> metas = List.of(SegmentDayKey.meta(""), SegmentDayKey.meta("admitted"),
            SegmentDayKey.meta("\u0000"), SegmentDayKey.meta("émoji 🦊"));
        for (Bytes meta : metas) {
            assertThat(SegmentDayKey.isMeta(meta.get())).isTrue();
            assertThat(meta.get()[0]).isEqualTo(SegmentDayKey.META_PREFIX);
        }
        assertThat(new String(SegmentDayKey.meta("admitted").get(), 1, 8, StandardCharsets.UTF_8)).isEqualTo("admitted");
        for (int day : new int[] {0, DAY, 0x7f_ff_ff_fe, Integer.MAX_VALUE}) {
            for (int i = 0; i < 50; i++) {
                Bytes data = SegmentDayKey.of(day, randomValues(rnd));
                for (Bytes meta : metas) {
                    assertThat(compare(data, meta)).isNegative();
                }
            }
            assertThat(compare(SegmentDayKey.dayStart(day), SegmentDayKey.meta(""))).isNegative();
        }
        assertThat(SegmentDayKey.isMeta(new byte[0])).isFalse();
    }

    @Test
    void segmentPartDropsTheDay() {
        String[] values = {"Firefox", "beta", "日本"};
        Bytes a = SegmentDayKey.of(DAY, values);
        Bytes b = SegmentDayKey.of(DAY + 7, values);
        assertThat(SegmentDayKey.segmentPart(a.get())).isEqualTo(SegmentDayKey.segmentPart(b.get()));
        byte[] part = SegmentDayKey.segmentPart(a.get()).get();
        assertThat(part).hasSize(a.get().length - 4);
        // A segment part behind any day decodes to the same values.
        byte[] rebuilt = new byte[part.length + 4];
        System.arraycopy(SegmentDayKey.dayStart(3).get(), 0, rebuilt, 0, 4);
        System.arraycopy(part, 0, rebuilt, 4, part.length);
        assertThat(SegmentDayKey.values(rebuilt)).containsExactly(values);
        assertThat(SegmentDayKey.segmentPart(SegmentDayKey.dayStart(DAY).get()).get()).isEmpty();
    }

    private static String[] randomValues(Random rnd) {
        String[] values = new String[rnd.nextInt(6)];
        for (int i = 0; i < values.length; i++) {
            StringBuilder sb = new StringBuilder();
            int length = rnd.nextInt(4) == 0 ? 100 + rnd.nextInt(200) : rnd.nextInt(12);
            for (int c = 0; c < length; c++) {
                // Mostly ASCII, some 0xFF-ish high bytes, some non-BMP.
                int kind = rnd.nextInt(10);
                if (kind == 0) {
                    sb.appendCodePoint(0x1F98A);
                } else if (kind == 1) {
                    sb.append('\u00ff');
                } else {
                    sb.append((char) (rnd.nextInt(128)));
                }
            }
            values[i] = sb.toString();
        }
        return values;
    }

    @Test
    void taggedKeysRoundTripAndNoUntaggedKeyReadsAsTagged() {
        String[][] segments = {{}, {""}, {"", "x"}, {repeat("a", 127)}, {repeat("a", 128)}, {repeat("b", 16_384), "c"},
            {"release", "Linux", "de"}};
        int[] tags = {1, Layouts.tagOf(List.of("channel", "os")), 0x3FFF_FFFF};
        for (String[] values : segments) {
            Bytes untagged = SegmentDayKey.of(DAY, values);
            assertThat(SegmentDayKey.tag(untagged.get())).as("untagged %s", Arrays.toString(values))
                .isEqualTo(SegmentDayKey.UNTAGGED);
            for (int tag : tags) {
                Bytes key = SegmentDayKey.of(DAY, tag, values);
                assertThat(SegmentDayKey.tag(key.get())).isEqualTo(tag);
                assertThat(SegmentDayKey.day(key.get())).isEqualTo(DAY);
                assertThat(SegmentDayKey.values(key.get())).containsExactly(values);
                assertThat(SegmentDayKey.retag(untagged.get(), tag)).isEqualTo(key);
                assertThat(compare(key, SegmentDayKey.layoutStart(DAY, tag))).isGreaterThanOrEqualTo(0);
                assertThat(compare(key, SegmentDayKey.layoutEnd(DAY, tag))).isLessThan(0);
                for (int other : tags) {
                    if (other != tag) {
                        boolean inOther = compare(key, SegmentDayKey.layoutStart(DAY, other)) >= 0
                            && compare(key, SegmentDayKey.layoutEnd(DAY, other)) < 0;
                        assertThat(inOther).as("tag %d in the range of tag %d", tag, other).isFalse();
                    }
                }
                // The day's range holds every tag's keys; the next day's none.
                assertThat(compare(key, SegmentDayKey.dayStart(DAY))).isGreaterThan(0);
                assertThat(compare(key, SegmentDayKey.dayStart(DAY + 1))).isLessThan(0);
                byte[] prefix = SegmentDayKey.prefix(DAY, tag, values.length == 0 ? "x" : values[0]);
                if (values.length > 0) {
                    assertThat(SegmentDayKey.startsWith(key.get(), prefix)).isTrue();
                }
            }
        }
    }
}
