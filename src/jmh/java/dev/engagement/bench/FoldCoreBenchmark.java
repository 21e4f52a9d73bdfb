package dev.engagement.bench;

import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.PingRules;
import dev.engagement.ping.SegmentIndex;
import dev.engagement.ping.ValueCaps;
import dev.engagement.sketch.LiveSketch;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.LiveSketches;
import dev.engagement.store.SegmentDayKey;

import org.apache.datasketches.hll.HllSketch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The fold core with JMH: the per-ping path of the fold processor (segment id, live sketch, HLL
 * update) over decoded pings, with no Kafka, RocksDB or Avro; and its two halves alone, to show
 * what limits it. The pings are {@code bench}'s: Zipf-sized segments over three days.
 *
 * <p>Each invocation folds every ping into fresh state (as a task that just started), so sketch
 * creation and growth through the LIST, SET and HLL modes are included. Scores are pings per second
 * on one thread. Run on purpose: {@code mvn -Pjmh test-compile exec:exec -Djmh.args=FoldCore}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
public class FoldCoreBenchmark {

    static final int PINGS = 2_000_000;

    private final EngagementConfig config = EngagementConfig.defaults(Map.of());
    private final Sketches sketches = new Sketches(config.lgK());
    private Ping[] pings;
    /** For {@link #hllUpdateOnly}: each ping's (segment, day) slot, resolved ahead. */
    private int[] slotOfPing;
    private int slotCount;

    private SegmentIndex segments;
    private LiveSketches live;
    private LiveSketches.SegmentKeys keys;
    private LiveSketch[] slots;
    private HllSketch[] dataSketches;

    @Setup(Level.Trial)
    public void pings() {
        BenchPings source = new BenchPings(1_000_000, 20_000, 1);
        Random random = new Random(2);
        pings = new Ping[PINGS];
        for (int i = 0; i < PINGS; i++) {
            pings[i] = source.ping(i, PINGS, random);
        }
        SegmentIndex index = newIndex();
        slotOfPing = new int[PINGS];
        for (int i = 0; i < PINGS; i++) {
            slotOfPing[i] = index.idOf(pings[i]) * BenchPings.DAYS + Math.floorMod(PingRules.activityDay(pings[i]), BenchPings.DAYS);
        }
        slotCount = index.size() * BenchPings.DAYS;
    }

    /** Fresh state for the next invocation: only what the running benchmark uses, so none pays for another's heap. */
    @Setup(Level.Invocation)
    public void freshState(BenchmarkParams params) {
        String benchmark = params.getBenchmark();
        segments = newIndex();
        live = new LiveSketches(sketches);
        live.storedThrough(-1); // nothing stored: a first touch creates, as in a task with no state
        SegmentIndex index = segments;
        keys = (day, segment) -> SegmentDayKey.of(day, index.values(segment));
        slots = null;
        dataSketches = null;
        if (benchmark.endsWith(".hllUpdateOnly")) {
            slots = new LiveSketch[slotCount];
            for (int i = 0; i < slotCount; i++) {
                slots[i] = LiveSketch.empty(sketches.lgK());
            }
        } else if (benchmark.endsWith(".hllUpdateDataSketches")) {
            dataSketches = new HllSketch[slotCount];
            for (int i = 0; i < slotCount; i++) {
                dataSketches[i] = sketches.newLive();
            }
        }
    }

    private SegmentIndex newIndex() {
        return new SegmentIndex(new ValueCaps(config.dimensions(), (dimension, value) -> { }));
    }

    /** The whole fold core: what the fold processor does per valid ping. */
    @Benchmark
    @OperationsPerInvocation(PINGS)
    public int fold() {
        for (Ping ping : pings) {
            live.update(PingRules.activityDay(ping), segments.idOf(ping), keys, key -> null, ping.getClientId());
        }
        return live.size();
    }

    /** Half of it: the segment id and day of each ping. */
    @Benchmark
    @OperationsPerInvocation(PINGS)
    public void segmentIdOnly(Blackhole sink) {
        for (Ping ping : pings) {
            sink.consume(segments.idOf(ping) + PingRules.activityDay(ping));
        }
    }

    /** The other half: the HLL update into the right one of ~60,000 sketches, slots resolved ahead. */
    @Benchmark
    @OperationsPerInvocation(PINGS)
    public void hllUpdateOnly() {
        for (int i = 0; i < PINGS; i++) {
            slots[slotOfPing[i]].update(pings[i].getClientId());
        }
    }

    /** The same updates into bare DataSketches sketches: what {@link LiveSketch}'s seqlock and change check cost. */
    @Benchmark
    @OperationsPerInvocation(PINGS)
    public void hllUpdateDataSketches() {
        for (int i = 0; i < PINGS; i++) {
            dataSketches[slotOfPing[i]].update(pings[i].getClientId());
        }
    }
}
