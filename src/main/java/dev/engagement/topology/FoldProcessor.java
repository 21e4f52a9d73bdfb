package dev.engagement.topology;

import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.Days;
import dev.engagement.ping.Dimension;
import dev.engagement.ping.PingRules;
import dev.engagement.ping.Rejection;
import dev.engagement.ping.SegmentIndex;
import dev.engagement.ping.ValueCaps;
import dev.engagement.registry.PingDecoder;
import dev.engagement.registry.SchemaRegistry;
import dev.engagement.store.DayRanges;
import dev.engagement.store.IncompatibleStateException;
import dev.engagement.store.Layouts;
import dev.engagement.store.LiveSketches;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.SketchStore;
import dev.engagement.store.TaskMetadata;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Folds each ping's client id into the live sketch of its (segment, day), or routes it to the
 * dead-letter or late-pings topic. The store writes changed sketches when Kafka Streams commits
 * (queries read open days from the live sketches meanwhile). Every second of wall-clock time (or
 * every downstream interval, if shorter) it sends changed partial sketches downstream (at most once
 * per downstream interval), closes days that passed grace (a last partial for each of their
 * segments, then this partition's watermark) and drops days past retention.
 *
 * <p>Records pass a {@link PingGate} first. Per-task metadata (the last closed and purged days, the
 * values admitted under each dimension's cap, the dimension lists the keys were written under) is
 * kept in the sketch store as {@link TaskMetadata} says.
 *
 * <p>A change of {@code engagement.dimensions} applies from the first open day: the task records
 * the new list ({@link Layouts#adopt}), writes new keys under its tag, and leaves the keys written
 * under earlier lists as they are (read back under their own list). Sketches of an open day written
 * before the change stay in the store, not live: the day's sketches of both lists union without
 * counting a client twice. A stored {@code lg-k} other than the configured one, or keys of a later
 * format, stop the task ({@link IncompatibleStateException}).
 */
final class FoldProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(FoldProcessor.class);
    /** Segment ids beyond twice the live sketches that are tolerated before a rebuild. */
    static final int SEGMENT_SLACK = 1_000;
    /** The layout of partials the merger keeps: one key per partition (absent: one value for all). */
    private static final int CURRENT_PARTIALS_LAYOUT = 3;
    /** How often days are closed and downstream sends considered, at most (wall clock). */
    static final Duration PUNCTUATE_INTERVAL = Duration.ofSeconds(1);

    private final EngagementConfig settings;
    private final SchemaRegistry registry;
    private final IngestCounters counters;

    private ProcessorContext<byte[], byte[]> context;
    private SketchStore store;
    private PingGate gate;
    private ValueCaps caps;
    private SegmentIndex segments;
    private LiveSketches.SegmentKeys keys;
    private Layouts layouts;
    /** Layouts whose definition was sent to the partials topic since this task started. */
    private final Set<Integer> layoutsSent = new HashSet<>();
    private int closedThrough;
    private int purgedThrough;
    private long lastDownstream;
    private boolean resyncPending;
    private final int maxLive;

    FoldProcessor(EngagementConfig settings, SchemaRegistry registry, IngestCounters counters) {
        this.settings = settings;
        this.registry = registry;
        this.counters = counters;
        this.maxLive = settings.maxLiveSketches();
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(EngagementTopology.SKETCH_STORE);
        this.gate = new PingGate(new PingDecoder(registry), new PingRules(settings.latenessWindow()), settings.grace());
        this.closedThrough = TaskMetadata.CLOSED_THROUGH.read(store.written(), -1);
        this.purgedThrough = TaskMetadata.PURGED_THROUGH.read(store.written(), -1);
        this.layouts = recordLayout();
        int tag = layouts.currentTag();
        this.keys = (day, segment) -> SegmentDayKey.of(day, tag, segments.values(segment));
        openSegments();
        // Forwarding is not allowed in init: the first punctuation re-sends what a crash or a task
        // migration may have left unsent (see resync).
        this.resyncPending = true;
        Duration interval = settings.downstreamInterval().compareTo(PUNCTUATE_INTERVAL) < 0
            ? settings.downstreamInterval() : PUNCTUATE_INTERVAL;
        context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    /**
     * Checks that the stored state can be read under these settings, and records the configured
     * dimension list as the current one (from the first open day) when it changed.
     *
     * @throws IncompatibleStateException for a stored {@code lg-k} other than the configured one,
     *                                    or keys of a later format
     */
    private Layouts recordLayout() {
        int format = TaskMetadata.KEY_FORMAT.read(store.written(), 1);
        if (format > Layouts.KEY_FORMAT) {
            throw new IncompatibleStateException("the state of task " + context.taskId() + " was written by a later "
                + "version (key format " + format + ", this version reads up to " + Layouts.KEY_FORMAT
                + "): run that version, or start under a new application.id and replay the pings");
        }
        int storedLgK = TaskMetadata.LG_K.read(store.written(), -1);
        if (storedLgK >= 0 && storedLgK != settings.lgK()) {
            throw new IncompatibleStateException("engagement.sketch.lg-k changed from " + storedLgK + " to " + settings.lgK()
                + " for stored days (sketches of both precisions would mix in one answer): set it back to "
                + storedLgK + ", or start under a new application.id and replay the pings");
        }
        Layouts recorded = Layouts.read(store.written());
        int[] open = openDaysWithData();
        // From the first open day with data; with none, from the day after the last closed one
        // (-1, "from the first day", when no day ever closed).
        int fromDay = open[0] >= 0 ? open[0] : closedThrough < 0 ? -1 : closedThrough + 1;
        Layouts.Change change = recorded.adopt(settings.dimensionNames(), fromDay, open[1]);
        if (change != null) {
            change.writes().forEach(kv -> store.put(kv.key, kv.value));
            if (!change.from().equals(change.to())) {
                LayoutChanges.log(change);
            }
        }
        if (format != Layouts.KEY_FORMAT) {
            store.put(TaskMetadata.KEY_FORMAT.key(), TaskMetadata.KEY_FORMAT.value(Layouts.KEY_FORMAT));
        }
        if (storedLgK != settings.lgK()) {
            store.put(TaskMetadata.LG_K.key(), TaskMetadata.LG_K.value(settings.lgK()));
        }
        return change == null ? recorded : Layouts.read(store.written());
    }

    /** The first and last open days with data in the store, or -1 and -1: two seeks, not a scan. */
    private int[] openDaysWithData() {
        Bytes from = SegmentDayKey.dayStart(Math.max(closedThrough + 1, 0));
        int[] days = {-1, -1};
        try (KeyValueIterator<Bytes, byte[]> it = store.written().range(from, TaskMetadata.FIRST)) {
            if (it.hasNext()) {
                days[0] = SegmentDayKey.day(it.next().key.get());
            }
        }
        try (KeyValueIterator<Bytes, byte[]> it = store.written().reverseRange(from, TaskMetadata.FIRST)) {
            if (it.hasNext()) {
                days[1] = SegmentDayKey.day(it.next().key.get());
            }
        }
        return days;
    }

    /**
     * Builds the value codes and segment ids from the persisted admissions, and makes the open days
     * live, so that a ping's first touch of a (segment, day) never waits on a RocksDB read.
     */
    private void openSegments() {
        this.caps = new ValueCaps(settings.dimensions(), this::persistAdmission);
        restoreAdmissions();
        this.segments = new SegmentIndex(caps);
        int tag = layouts.currentTag();
        store.loadFrom(closedThrough + 1, key -> {
            // A key written under an earlier list stays in the store, where queries read it under
            // its own list; only the current list's keys become live.
            return SegmentDayKey.tag(key.get()) == tag ? segments.idOfKnown(SegmentDayKey.values(key.get())) : -1;
        }, maxLive / 2);
    }

    /**
     * Segment ids and the values of uncapped dimensions live in memory for as long as the task, so
     * when a day closes and the ids far outnumber the live sketches (segments that stopped
     * appearing), they are rebuilt from what is open.
     */
    private void compactSegments(long streamTime) {
        if (segments.size() <= 2L * store.liveCount() + SEGMENT_SLACK) {
            return;
        }
        for (KeyValue<Bytes, byte[]> changed : store.drainDownstream()) {
            forwardPartial(changed.key, changed.value, streamTime);
        }
        int before = segments.size();
        openSegments(); // writes what changed, then starts the live set afresh with new ids
        LOG.debug("task {}: rebuilt segment ids, {} -> {}", context.taskId(), before, segments.size());
    }

    private void restoreAdmissions() {
        TaskMetadata.forEachAdmission(store.written(), caps::restore);
    }

    private void persistAdmission(Dimension dimension, String value) {
        store.put(TaskMetadata.admission(dimension.name(), value), new byte[0]);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long streamTime = context.currentStreamTimeMs();
        PingGate.Verdict verdict = gate.check(record.value(), record.timestamp(), streamTime);
        if (verdict instanceof PingGate.Accepted accepted) {
            fold(accepted.ping(), accepted.day(), streamTime);
        } else if (verdict instanceof PingGate.DeadLetter rejected) {
            deadLetter(record, rejected.reason(), rejected.detail());
        } else {
            late(record, ((PingGate.Late) verdict).day(), streamTime);
        }
    }

    private void fold(Ping ping, int day, long streamTime) {
        counters.recordAccepted(ping.getSubmissionTimestamp().toEpochMilli());
        if (day <= closedThrough) {
            // A replay after a crash: this day was closed after this ping was folded (a day closes
            // only once stream time passed its grace), so its sketch already holds the client.
            // Reopening it would un-final the day downstream.
            return;
        }
        store.update(day, segments.idOf(ping), keys, ping.getClientId());
        if (store.liveCount() > maxLive) {
            // Bounded memory: send what changed, write everything, and start the live set afresh.
            for (KeyValue<Bytes, byte[]> changed : store.drainDownstream()) {
                forwardPartial(changed.key, changed.value, streamTime);
            }
            store.evictAll();
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, Rejection reason, String detail) {
        Headers headers = sourceHeaders(record);
        headers.add("engagement.reason", reason.name().getBytes(StandardCharsets.UTF_8));
        if (detail != null) {
            String clipped = detail.length() > 500 ? detail.substring(0, 500) : detail;
            headers.add("engagement.detail", clipped.getBytes(StandardCharsets.UTF_8));
        }
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers),
            EngagementTopology.DEAD_LETTER_SINK);
        counters.recordDeadLettered(reason);
    }

    private void late(Record<byte[], byte[]> record, int day, long streamTime) {
        Headers headers = sourceHeaders(record);
        headers.add("engagement.day", Days.toDate(day).toString().getBytes(StandardCharsets.UTF_8));
        headers.add("engagement.stream-time", Long.toString(streamTime).getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers),
            EngagementTopology.LATE_SINK);
        counters.recordLate(record.timestamp()); // the submission time: PingGate checked they agree
    }

    private Headers sourceHeaders(Record<byte[], byte[]> record) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        RecordMetadata meta = context.recordMetadata().orElse(null);
        if (meta != null) {
            headers.add("engagement.source.topic", meta.topic().getBytes(StandardCharsets.UTF_8));
            headers.add("engagement.source.partition", Integer.toString(meta.partition()).getBytes(StandardCharsets.UTF_8));
            headers.add("engagement.source.offset", Long.toString(meta.offset()).getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }

    private void punctuate(long wallClock) {
        long streamTime = context.currentStreamTimeMs();
        if (streamTime < 0) {
            return; // nothing processed yet
        }
        store.changelogTimestamp(streamTime);
        if (resyncPending) {
            resync(streamTime);
            resyncPending = false;
            // The first send of changes comes one interval after the start: the resync sent what
            // was committed, and changes since wait like any other.
            lastDownstream = wallClock;
        }
        closeDays(streamTime);
        if (wallClock - lastDownstream >= settings.downstreamInterval().toMillis()) {
            lastDownstream = wallClock;
            for (KeyValue<Bytes, byte[]> changed : store.drainDownstream()) {
                forwardPartial(changed.key, changed.value, streamTime);
            }
        }
        purge(streamTime);
    }

    /**
     * After a restart or a task migration: re-sends the partials of the days closed since the
     * last commit's marker (their sends may not have reached the partials topic), the committed
     * partials of the open days (pending sends were in memory; what changed since the commit is
     * replayed, changes its sketch and is sent like any change), and this partition's watermark. The
     * merger keeps the latest partial per partition, so sending twice is harmless.
     */
    private void resync(long streamTime) {
        int sentThrough = TaskMetadata.SENT_THROUGH.read(store.written(), -1);
        // A merger store of an earlier layout (one value for every partition) is not read by this
        // one: once, send every retained day, so the merger has every partition's partial again.
        boolean layoutChanged = TaskMetadata.PARTIALS_LAYOUT.read(store.written(), 0) < CURRENT_PARTIALS_LAYOUT;
        int from = layoutChanged ? purgedThrough + 1 : sentThrough + 1;
        // Streamed: after a layout change this is the whole retained state.
        // What was committed: a live sketch that changed since is downstream-dirty and sent anyway.
        DayRanges.forEach(store.written(), from, Integer.MAX_VALUE, (key, value) -> {
            forwardPartial(key, value, streamTime);
            return true;
        });
        forwardWatermark(streamTime);
        store.putAtCommit(TaskMetadata.SENT_THROUGH.key(), TaskMetadata.SENT_THROUGH.value(closedThrough));
        store.putAtCommit(TaskMetadata.PARTIALS_LAYOUT.key(), TaskMetadata.PARTIALS_LAYOUT.value(CURRENT_PARTIALS_LAYOUT));
    }

    /** Closes every day whose end plus grace is at or before stream time. */
    private void closeDays(long streamTime) {
        int lastClosable = (int) Math.floorDiv(streamTime - settings.grace().toMillis(), Days.MILLIS) - 1;
        if (lastClosable <= closedThrough) {
            return;
        }
        store.flushDirty();
        for (KeyValue<Bytes, byte[]> kv : DayRanges.entries(store.written(), closedThrough + 1, lastClosable)) {
            forwardPartial(kv.key, kv.value, streamTime);
        }
        store.evict(lastClosable);
        closedThrough = lastClosable;
        store.put(TaskMetadata.CLOSED_THROUGH.key(), TaskMetadata.CLOSED_THROUGH.value(closedThrough));
        forwardWatermark(streamTime);
        store.putAtCommit(TaskMetadata.SENT_THROUGH.key(), TaskMetadata.SENT_THROUGH.value(closedThrough));
        compactSegments(streamTime);
    }

    /** Tells every merger task the last day this partition has closed (see {@link TaskMetadata#watermark}). */
    private void forwardWatermark(long streamTime) {
        TaskMetadata.IntKey watermark = TaskMetadata.watermark(context.taskId().partition());
        context.forward(new Record<>(watermark.key().get(), watermark.value(closedThrough), streamTime),
            EngagementTopology.PARTIALS_SINK);
    }

    /** Deletes every day older than the retention. */
    private void purge(long streamTime) {
        int lastPurgeable = Days.ofMillis(streamTime - settings.retention().toMillis()) - 1;
        if (lastPurgeable <= purgedThrough) {
            return;
        }
        DayRanges.keys(store.written(), purgedThrough + 1, lastPurgeable).forEach(store::delete);
        purgedThrough = lastPurgeable;
        store.put(TaskMetadata.PURGED_THROUGH.key(), TaskMetadata.PURGED_THROUGH.value(purgedThrough));
    }

    /**
     * Sends one partial. On the partials topic every key is tagged, so that the merger (which reads
     * every partition's partials) names the values by the list they were written under; that
     * list's definition is sent first, once per task start, to every merger partition.
     */
    private void forwardPartial(Bytes key, byte[] sketch, long streamTime) {
        byte[] k = key.get();
        int tag = SegmentDayKey.tag(k);
        List<String> names = layouts.namesOf(tag);
        if (names == null) {
            LOG.warn("task {}: a key of an unknown dimension list (tag {}) is not sent downstream", context.taskId(), tag);
            return;
        }
        int partialTag = tag == SegmentDayKey.UNTAGGED ? Layouts.tagOf(names) : tag;
        if (layoutsSent.add(partialTag)) {
            context.forward(new Record<>(TaskMetadata.layout(partialTag).get(), Layouts.bytes(names), streamTime),
                EngagementTopology.PARTIALS_SINK);
        }
        byte[] partialKey = tag == SegmentDayKey.UNTAGGED ? SegmentDayKey.retag(k, partialTag).get() : k;
        context.forward(new Record<>(partialKey, Partial.encode(context.taskId().partition(), sketch), streamTime),
            EngagementTopology.PARTIALS_SINK);
    }
}
