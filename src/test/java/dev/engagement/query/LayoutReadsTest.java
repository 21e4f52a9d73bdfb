package dev.engagement.query;

import dev.engagement.sketch.Estimate;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.Layouts;
import dev.engagement.store.SegmentDayKey;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads across changes of the dimension list: one partition whose first days were written under
 * {@code channel,os,country}, then (from a day that was open at the change, and so holds both)
 * under {@code channel,locale,os,country} with {@code locale} added, then under
 * {@code locale,channel} with {@code os} and {@code country} removed and the rest reordered. Every
 * answer is checked against the same pings written with no change (same bytes where the days were
 * written alike) and against exact counts.
 */
class LayoutReadsTest {

    private static final int FIRST = 20_600;
    private static final int DAYS = 8;
    /** Open when locale was added: holds sketches of both lists. */
    private static final int ADDED = FIRST + 3;
    /** Open when os and country were removed. */
    private static final int REMOVED = FIRST + 6;
    private static final List<String> BASE = List.of("channel", "os", "country");
    private static final List<String> WITH_LOCALE = List.of("channel", "locale", "os", "country");
    private static final List<String> REORDERED = List.of("locale", "channel");
    private static final String[] CHANNELS = {"release", "beta"};
    private static final String[] OSES = {"Linux", "Darwin", "Windows_NT"};
    private static final String[] LOCALES = {"de", "fr"};
    private static final String[] COUNTRIES = {"DE", "FR", "US"};

    private final KeyValueStore<Bytes, byte[]> changed = store("changed");
    /** The same pings, every day under the base list: the store had nothing changed. */
    private final KeyValueStore<Bytes, byte[]> unchanged = store("unchanged");
    private final Sketches sketches = new Sketches(12);
    /** Which clients were active on each day, with their values. */
    private final List<Ping> pings = new ArrayList<>();

    private record Ping(int day, String client, String channel, String os, String locale, String country) {
    }

    private static KeyValueStore<Bytes, byte[]> store(String name) {
        KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name),
            Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().withCachingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        return store;
    }

    @BeforeEach
    void fill() {
        adopt(BASE, -1, -1);
        Random random = new Random(7);
        Map<Bytes, HllSketch> before = new HashMap<>();
        Map<Bytes, HllSketch> after = new HashMap<>();
        Map<Bytes, HllSketch> plain = new HashMap<>();
        for (int day = FIRST; day < FIRST + DAYS; day++) {
            for (int c = 0; c < 400; c++) {
                if (random.nextInt(3) == 0) {
                    continue;
                }
                String client = "client-" + c;
                Ping p = new Ping(day, client, CHANNELS[c % 2], OSES[c % 3], LOCALES[c / 7 % 2], COUNTRIES[c % 3]);
                pings.add(p);
                plain.computeIfAbsent(key(SegmentDayKey.UNTAGGED, p, BASE), k -> sketches.newLive()).update(client);
                // On a day open at a change, a client seen before it is in the old list's sketch,
                // and seen after it (some are, again) in the new list's.
                boolean early = random.nextBoolean();
                if (day < ADDED || (day == ADDED && early)) {
                    before.computeIfAbsent(key(SegmentDayKey.UNTAGGED, p, BASE), k -> sketches.newLive()).update(client);
                }
                if ((day == ADDED && (!early || random.nextBoolean())) || (day > ADDED && day < REMOVED)
                    || (day == REMOVED && early)) {
                    before.computeIfAbsent(key(Layouts.tagOf(WITH_LOCALE), p, WITH_LOCALE), k -> sketches.newLive())
                        .update(client);
                }
                if ((day == REMOVED && (!early || random.nextBoolean())) || day > REMOVED) {
                    after.computeIfAbsent(key(Layouts.tagOf(REORDERED), p, REORDERED), k -> sketches.newLive())
                        .update(client);
                }
            }
        }
        before.forEach((k, s) -> changed.put(k, Sketches.toBytes(s)));
        after.forEach((k, s) -> changed.put(k, Sketches.toBytes(s)));
        plain.forEach((k, s) -> unchanged.put(k, Sketches.toBytes(s)));
        adopt(WITH_LOCALE, ADDED, ADDED);
        adopt(REORDERED, REMOVED, REMOVED);
    }

    private void adopt(List<String> dimensions, int fromDay, int lastDataDay) {
        Layouts.read(changed).adopt(dimensions, fromDay, lastDataDay).writes().forEach(kv -> changed.put(kv.key, kv.value));
        if (dimensions.equals(BASE)) {
            Layouts.read(unchanged).adopt(dimensions, fromDay, lastDataDay).writes()
                .forEach(kv -> unchanged.put(kv.key, kv.value));
        }
    }

    private static Bytes key(int tag, Ping p, List<String> dimensions) {
        String[] values = dimensions.stream().map(d -> switch (d) {
            case "channel" -> p.channel();
            case "os" -> p.os();
            case "locale" -> p.locale();
            default -> p.country();
        }).toArray(String[]::new);
        return SegmentDayKey.of(p.day(), tag, values);
    }

    private PartitionAnswer answer(KeyValueStore<Bytes, byte[]> store, List<String> groupBy, Map<String, Set<String>> filters) {
        EngagementQuery query = new EngagementQuery(LocalDate.ofEpochDay(FIRST), LocalDate.ofEpochDay(FIRST + DAYS - 1),
            EnumSet.of(Metric.DAU), groupBy, filters);
        // The configured list is the current one: BASE's keys are read under the store's record.
        return new PartitionQuery(REORDERED, 12, 0).answer(query, new StorePartitionReader(0, store, false));
    }

    private long exact(int day, Predicate<Ping> matching) {
        Set<String> clients = new HashSet<>();
        pings.stream().filter(p -> p.day() == day && matching.test(p)).forEach(p -> clients.add(p.client()));
        return clients.size();
    }

    private static void assertCounts(byte[] union, long exact, String what) {
        Estimate e = Sketches.estimate(Sketches.fromBytes(union));
        assertThat((double) exact).as(what).isBetween(Math.floor(e.lower()), Math.ceil(e.upper()));
    }

    @Test
    void daysWrittenBeforeAChangeAnswerAsIfNothingChangedByteForByte() {
        PartitionAnswer now = answer(changed, List.of("channel"), Map.of("channel", Set.of("release")));
        PartitionAnswer reference = answer(unchanged, List.of("channel"), Map.of("channel", Set.of("release")));
        for (int day = FIRST; day < ADDED; day++) {
            PartitionAnswer.GroupDay release = new PartitionAnswer.GroupDay(List.of("release"), day);
            assertThat(now.unions().get(release)).as("day %d", day).isEqualTo(reference.unions().get(release));
        }
        // Every day, across both changes: no client counted twice, none lost.
        for (int day = FIRST; day < FIRST + DAYS; day++) {
            int d = day;
            assertCounts(now.unions().get(new PartitionAnswer.GroupDay(List.of("release"), day)),
                exact(day, p -> p.channel().equals("release")), "release clients on day " + (d - FIRST));
        }
        assertThat(now.notRecorded()).as("channel is in every list").isEmpty();
    }

    @Test
    void aGroupByOnTheAddedDimensionMarksTheDaysThatDidNotRecordIt() {
        PartitionAnswer byLocale = answer(changed, List.of("locale"), Map.of());
        for (int day = FIRST; day < FIRST + DAYS; day++) {
            Set<String> groups = new TreeSet<>();
            for (PartitionAnswer.GroupDay gd : byLocale.unions().keySet()) {
                if (gd.day() == day) {
                    groups.add(gd.group().get(0));
                }
            }
            if (day < ADDED) {
                assertThat(groups).as("day %d", day - FIRST).containsExactly(EngagementAnswer.NOT_RECORDED);
                assertThat(byLocale.notRecorded().get(day)).containsExactly("locale");
            } else if (day == ADDED) {
                assertThat(groups).containsExactlyInAnyOrder("de", "fr", EngagementAnswer.NOT_RECORDED);
                assertThat(byLocale.notRecorded().get(day)).containsExactly("locale");
            } else {
                assertThat(groups).as("day %d", day - FIRST).containsExactlyInAnyOrder("de", "fr");
                assertThat(byLocale.notRecorded()).doesNotContainKey(day);
                int d = day;
                assertCounts(byLocale.unions().get(new PartitionAnswer.GroupDay(List.of("de"), d)),
                    exact(d, p -> p.locale().equals("de")), "de clients on day " + (d - FIRST));
            }
        }
    }

    @Test
    void aFilterOnADimensionADayDidNotRecordLeavesItsSketchesOutAndSaysSo() {
        PartitionAnswer de = answer(changed, List.of(), Map.of("locale", Set.of("de")));
        for (int day = FIRST; day < ADDED; day++) {
            assertThat(de.unions()).as("nothing of day %d is known to be de", day - FIRST)
                .doesNotContainKey(new PartitionAnswer.GroupDay(List.of(), day));
            assertThat(de.notRecorded().get(day)).containsExactly("locale");
        }
        for (int day = ADDED + 1; day < FIRST + DAYS; day++) {
            int d = day;
            assertCounts(de.unions().get(new PartitionAnswer.GroupDay(List.of(), d)),
                exact(d, p -> p.locale().equals("de")), "de clients on day " + (d - FIRST));
        }
    }

    @Test
    void aRemovedDimensionIsUnionedOverAndAFilterOnItIsNotRecordedAfterwards() {
        PartitionAnswer all = answer(changed, List.of(), Map.of());
        for (int day = FIRST; day < FIRST + DAYS; day++) {
            int d = day;
            assertCounts(all.unions().get(new PartitionAnswer.GroupDay(List.of(), d)), exact(d, p -> true),
                "every client on day " + (d - FIRST));
        }
        assertThat(all.notRecorded()).isEmpty();
        // Grouping by a dimension removed since reads the days that still have it; the rest say so.
        PartitionAnswer byOs = new PartitionQuery(WITH_LOCALE, 12, 0).answer(new EngagementQuery(
            LocalDate.ofEpochDay(FIRST), LocalDate.ofEpochDay(FIRST + DAYS - 1), EnumSet.of(Metric.DAU), List.of("os"),
            Map.of()), new StorePartitionReader(0, changed, false));
        assertThat(byOs.notRecorded().keySet()).containsExactly(REMOVED, REMOVED + 1);
        assertCounts(byOs.unions().get(new PartitionAnswer.GroupDay(List.of("Linux"), FIRST + 4)),
            exact(FIRST + 4, p -> p.os().equals("Linux")), "Linux clients on day 4");
    }

    @Test
    void rowsWhoseWindowTouchesAnUnrecordedDayAreNotCompleteAndNameTheDimension() {
        EngagementQuery query = new EngagementQuery(LocalDate.ofEpochDay(FIRST + 1), LocalDate.ofEpochDay(FIRST + DAYS - 1),
            EnumSet.of(Metric.DAU), List.of("locale"), Map.of());
        PartitionAnswer part = new PartitionQuery(REORDERED, 12, 0).answer(query, new StorePartitionReader(0, changed, false));
        PartitionAnswer closed = new PartitionAnswer(part.partition(), FIRST + DAYS, FIRST, part.unions(), false,
            part.notRecorded());
        EngagementAnswer answer = new Answers(12, QueryLimits.DEFAULTS).answer(query, List.of(closed), 1);
        assertThat(answer.complete()).isFalse();
        assertThat(answer.notRecorded()).containsOnlyKeys("locale");
        for (EngagementAnswer.Row row : answer.rows()) {
            int day = (int) row.day().toEpochDay();
            // DAU reads its own day: the rows up to the day of the change touch a day without locale.
            boolean touches = day <= ADDED;
            assertThat(row.notRecorded()).as("%s %s", row.group(), row.day()).isEqualTo(touches ? List.of("locale") : List.of());
            assertThat(row.complete()).as("%s %s", row.group(), row.day()).isEqualTo(!touches);
        }
    }
}
