package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.RocksSketchStores;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.SketchStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Open days answered from the live sketches equal the answers read from RocksDB once every
 * change is written there (the path of every query before live reads): same groups, same days,
 * same union bytes, so the same estimates.
 */
class LiveReadsTest {

    private static final int FIRST = Days.of(LocalDate.of(2026, 3, 1));
    private static final int DAYS = 4;
    private static final String[] CHANNELS = {"release", "beta", "nightly"};
    private static final String[] OSES = {"Linux", "Darwin", "Windows_NT", "Android"};
    private static final String[] COUNTRIES = {"DE", "FR", "US", "BR", "JP"};

    private static List<EngagementQuery> queries() {
        LocalDate from = Days.toDate(FIRST);
        LocalDate to = Days.toDate(FIRST + DAYS - 1);
        EnumSet<Metric> all = EnumSet.of(Metric.DAU, Metric.WAU, Metric.MAU, Metric.ER);
        return List.of(
            new EngagementQuery(from, to, all, List.of(), Map.of()),
            new EngagementQuery(from, to, all, List.of(), Map.of("channel", Set.of("release"))),
            new EngagementQuery(from, to, all, List.of(), Map.of("channel", Set.of("beta", "nightly"),
                "os", Set.of("Linux", "Darwin"))),
            new EngagementQuery(from, to, all, List.of(), Map.of("country", Set.of("DE"))),
            new EngagementQuery(from, to, all, List.of("os"), Map.of()),
            new EngagementQuery(from, to, all, List.of("channel", "country"), Map.of("os", Set.of("Android"))),
            // One segment a (group, day): a union of one sketch.
            new EngagementQuery(from, to, all, List.of("channel", "os", "country"), Map.of()));
    }

    @Test
    void liveAnswersEqualTheAnswersOfTheWrittenStore(@TempDir Path dir) {
        SketchStore store = RocksSketchStores.open(dir, 12);
        try {
            store.loadFrom(0, key -> -1, 0);
            fold(store);
            PartitionQuery partitionQuery = new PartitionQuery(Population.DIMENSIONS, 12, 1000);
            StorePartitionReader live = new StorePartitionReader(0, store);
            assertThat(live.standby()).isFalse();
            List<PartitionAnswer> fromMemory = new ArrayList<>();
            for (EngagementQuery query : queries()) {
                fromMemory.add(partitionQuery.answer(query, live));
            }

            store.flushDirty(); // what a commit writes
            store.clearCache(); // the live set dropped: reads see RocksDB alone
            StorePartitionReader written = new StorePartitionReader(0, store);
            assertThat(written.standby()).as("a store without its live set answers as a standby").isTrue();
            List<EngagementQuery> queries = queries();
            for (int q = 0; q < queries.size(); q++) {
                PartitionAnswer fromRocksDb = partitionQuery.answer(queries.get(q), written);
                PartitionAnswer fromLive = fromMemory.get(q);
                assertThat(fromLive.unions()).as("query %d", q).isNotEmpty();
                assertThat(fromLive.unions().keySet()).as("query %d", q).isEqualTo(fromRocksDb.unions().keySet());
                fromRocksDb.unions().forEach((groupDay, bytes) -> {
                    assertThat(fromLive.unions().get(groupDay)).as("union of %s", groupDay).isEqualTo(bytes);
                    assertThat(Sketches.fromBytes(fromLive.unions().get(groupDay)).getEstimate())
                        .isEqualTo(Sketches.fromBytes(bytes).getEstimate());
                });
                assertThat(fromRocksDb.standby()).isTrue();
                assertThat(fromLive.standby()).isFalse();
            }
        } finally {
            store.close();
        }
    }

    /**
     * Pings over four days: a commit halfway, the live set dropped under the memory cap once (so
     * some sketches are stored and not live until touched again), and sketches of every size.
     */
    private static void fold(SketchStore store) {
        Random random = new Random(3);
        int segments = CHANNELS.length * OSES.length * COUNTRIES.length;
        int pings = 80_000;
        for (int i = 0; i < pings; i++) {
            int segment = random.nextInt(segments);
            int day = FIRST + random.nextInt(DAYS);
            int clients = segment < 3 ? 5_000 : segment < 15 ? 300 : 8;
            store.update(day, segment, (d, s) -> SegmentDayKey.of(d, values(s)), "c-" + random.nextInt(clients));
            if (i == pings / 2) {
                store.flushDirty();
            }
            if (i == pings * 3 / 4) {
                store.evictAll();
            }
        }
    }

    private static String[] values(int segment) {
        return new String[] {CHANNELS[segment % CHANNELS.length], OSES[segment / CHANNELS.length % OSES.length],
            COUNTRIES[segment / (CHANNELS.length * OSES.length)]};
    }
}
