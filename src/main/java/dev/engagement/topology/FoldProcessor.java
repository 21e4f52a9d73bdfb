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
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.LiveSketches;
import dev.engagement.store.SketchStore;

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

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Folds each ping's client id into the live sketch of its (segment, day), or routes it to the
 * dead-letter or late-pings topic. The store writes changed sketches when Kafka Streams commits
 * (queries read open days from the live sketches meanwhile). Every second of wall-clock time (or
 * every downstream interval, if shorter) it sends changed partial sketches downstream (at most once
 * per downstream interval), closes days that passed grace (a last partial for each of their
 * segments, then this partition's watermark) and drops days past retention.
 *
 * <p>Per-task metadata lives in the sketch store under {@link SegmentDayKey#META_PREFIX} keys: the
 * last closed and last purged day, and the values admitted under each dimension's cap.
 */
final class FoldProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(FoldProcessor.class);
    private static final String CAP_PREFIX = "cap/";
    /** Segment ids beyond twice the live sketches that are tolerated before a rebuild. */
    static final int SEGMENT_SLACK = 1_000;
    private static final Bytes PURGED_THROUGH = SegmentDayKey.meta("purged-through");
    /** The last closed day whose closed partials were sent before a commit (written at commit). */
    private static final Bytes SENT_THROUGH = SegmentDayKey.meta("closed-sent-through");
    /** The layout of partials the merger keeps, as last synced (absent: before one key per partition). */
    private static final Bytes PARTIALS_LAYOUT = SegmentDayKey.meta("partials-layout");
    private static final int CURRENT_PARTIALS_LAYOUT = 2;
    /** How often days are closed and downstream sends considered, at most (wall clock). */
    static final Duration PUNCTUATE_INTERVAL = Duration.ofSeconds(1);

    private final EngagementConfig settings;
    private final SchemaRegistry registry;
    private final IngestCounters counters;

    private ProcessorContext<byte[], byte[]> context;
    private SketchStore store;
    private PingDecoder decoder;
    private PingRules rules;
    private ValueCaps caps;
    private SegmentIndex segments;
    private LiveSketches.SegmentKeys keys;
    private int closedThrough;
    private int purgedThrough;
    private long lastDownstream;
    private boolean resyncPending;
    private final int maxLive;

    FoldProcessor(EngagementConfig settings, SchemaRegistry registry, IngestCounters counters) {
        this.settings = settings;
        this.registry = registry;
        this.counters = counters;
        this.maxLive = settings.intSetting("engagement.max-live-sketches");
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(EngagementTopology.SKETCH_STORE);
        this.decoder = new PingDecoder(registry);
        this.rules = new PingRules(settings.latenessWindow());
        this.keys = (day, segment) -> SegmentDayKey.of(day, segments.values(segment));
        this.closedThrough = readMetaInt(SegmentDayKey.CLOSED_THROUGH, -1);
        this.purgedThrough = readMetaInt(PURGED_THROUGH, -1);
        openSegments();
        // Forwarding is not allowed in init: the first punctuation re-sends what a crash or a task
        // migration may have left unsent (see resync).
        this.resyncPending = true;
        Duration interval = settings.downstreamInterval().compareTo(PUNCTUATE_INTERVAL) < 0
            ? settings.downstreamInterval() : PUNCTUATE_INTERVAL;
        context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    /**
     * Builds the value codes and segment ids from the persisted admissions, and makes the open days
     * live, so that a ping's first touch of a (segment, day) never waits on a RocksDB read.
     */
    private void openSegments() {
        this.caps = new ValueCaps(settings.dimensions(), this::persistAdmission);
        restoreAdmissions();
        this.segments = new SegmentIndex(caps);
        int width = caps.dimensionCount();
        store.loadFrom(closedThrough + 1, key -> {
            String[] values = SegmentDayKey.values(key.get());
            // A key written under another list of dimensions is no segment of this one: left out.
            return values.length == width ? segments.idOfKnown(values) : -1;
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
        try (KeyValueIterator<Bytes, byte[]> it = store.written().range(SegmentDayKey.meta(CAP_PREFIX), SegmentDayKey.meta("cap0"))) {
            while (it.hasNext()) {
                byte[] key = it.next().key.get();
                String entry = new String(key, 1 + CAP_PREFIX.length(), key.length - 1 - CAP_PREFIX.length(),
                    StandardCharsets.UTF_8);
                int sep = entry.indexOf('\u0000');
                if (sep > 0) {
                    caps.restore(entry.substring(0, sep), entry.substring(sep + 1));
                }
            }
        }
    }

    private void persistAdmission(Dimension dimension, String value) {
        store.put(SegmentDayKey.meta(CAP_PREFIX + dimension.name() + '\u0000' + value), new byte[0]);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Ping ping;
        try {
            ping = decoder.decode(record.value());
        } catch (PingDecoder.RejectedException e) {
            deadLetter(record, e.rejection(), e.getMessage());
            return;
        }
        long submitted = ping.getSubmissionTimestamp().toEpochMilli();
        if (record.timestamp() != submitted) {
            // The timestamp extractor found submission_timestamp implausible and kept stream time.
            deadLetter(record, Rejection.INVALID_SUBMISSION_TIMESTAMP,
                "submission_timestamp " + ping.getSubmissionTimestamp() + " is not plausible for this record");
            return;
        }
        Rejection rejection = rules.check(ping, -1);
        if (rejection != null) {
            deadLetter(record, rejection, null);
            return;
        }
        int day = PingRules.activityDay(ping);
        long streamTime = context.currentStreamTimeMs();
        if (Days.endMillis(day) + settings.grace().toMillis() <= streamTime) {
            late(record, day, streamTime);
            return;
        }
        counters.recordAccepted(submitted);
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
        counters.recordLate();
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
        int sentThrough = readMetaInt(SENT_THROUGH, -1);
        // A merger store of an earlier layout (one value for every partition) is not read by this
        // one: once, send every retained day, so the merger has every partition's partial again.
        boolean layoutChanged = readMetaInt(PARTIALS_LAYOUT, 0) < CURRENT_PARTIALS_LAYOUT;
        int from = layoutChanged ? purgedThrough + 1 : sentThrough + 1;
        // Streamed: after a layout change this is the whole retained state.
        // What was committed: a live sketch that changed since is downstream-dirty and sent anyway.
        DayRanges.forEach(store.written(), from, Integer.MAX_VALUE, (key, value) -> {
            forwardPartial(key, value, streamTime);
            return true;
        });
        forwardWatermark(streamTime);
        store.putAtCommit(SENT_THROUGH, intBytes(closedThrough));
        store.putAtCommit(PARTIALS_LAYOUT, intBytes(CURRENT_PARTIALS_LAYOUT));
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
        store.put(SegmentDayKey.CLOSED_THROUGH, intBytes(closedThrough));
        forwardWatermark(streamTime);
        store.putAtCommit(SENT_THROUGH, intBytes(closedThrough));
        compactSegments(streamTime);
    }

    /** Tells every merger task the last day this partition has closed (see {@link Partial#watermarkKey}). */
    private void forwardWatermark(long streamTime) {
        int partition = context.taskId().partition();
        context.forward(new Record<>(Partial.watermarkKey(partition), intBytes(closedThrough), streamTime),
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
        store.put(PURGED_THROUGH, intBytes(purgedThrough));
    }

    private void forwardPartial(Bytes key, byte[] sketch, long streamTime) {
        context.forward(new Record<>(key.get(), Partial.encode(context.taskId().partition(), sketch), streamTime),
            EngagementTopology.PARTIALS_SINK);
    }

    private int readMetaInt(Bytes key, int absent) {
        return SegmentDayKey.metaInt(store.written().get(key), absent);
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(4).putInt(value).array();
    }
}
