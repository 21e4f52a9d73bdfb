package dev.engagement.topology;

import dev.engagement.ping.PingRules;
import dev.engagement.registry.PingDecoder;
import dev.engagement.registry.SchemaRegistry;
import dev.engagement.registry.SchemaRegistryException;
import dev.engagement.registry.WireFormat;

import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Event time of a ping: its {@code submission_timestamp}, so that Kafka Streams' stream time (and
 * thus grace) follows the pings, and a replay behaves exactly as live ingestion did. Stream time is
 * committed with the offsets, so a restart resumes it exactly.
 *
 * <p>Fast path: when the writer schema starts with {@code client_id: string, submission_timestamp:
 * long} (ours does), the timestamp is read after skipping one string, with no full decode. A record
 * that cannot give a plausible timestamp returns the partition's current time: it must not move
 * stream time (the processor dead-letters it). Thread-safe.
 */
final class PingTimestampExtractor implements TimestampExtractor {

    private final SchemaRegistry registry;
    private final Map<Integer, Boolean> fastPathById = new ConcurrentHashMap<>();
    private final ThreadLocal<PingDecoder> decoders;

    PingTimestampExtractor(SchemaRegistry registry) {
        this.registry = registry;
        this.decoders = ThreadLocal.withInitial(() -> new PingDecoder(registry));
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        long fallback = Math.max(partitionTime, 0L);
        if (!(record.value() instanceof byte[] value) || value.length < WireFormat.HEADER_SIZE + 2
            || value[0] != WireFormat.MAGIC) {
            return fallback;
        }
        long timestamp = submissionTimestamp(value);
        return PingRules.isPlausibleSubmission(timestamp, record.timestamp()) ? timestamp : fallback;
    }

    private long submissionTimestamp(byte[] value) {
        int id = WireFormat.schemaId(value);
        Boolean fast = fastPathById.get(id);
        if (fast == null) {
            fast = isFastPath(id);
            if (fastPathById.size() < 10_000) { // random ids from hostile input must not grow it forever
                fastPathById.put(id, fast);
            }
        }
        if (fast) {
            return readAfterString(value, WireFormat.HEADER_SIZE);
        }
        try {
            return decoders.get().decode(value).getSubmissionTimestamp().toEpochMilli();
        } catch (PingDecoder.RejectedException e) {
            return Long.MIN_VALUE; // the processor dead-letters it
        }
    }

    /**
     * Whether the writer schema allows the fast path; false for an unknown id (the slow path then
     * rejects it, and remembers it). A registry that cannot be reached is not a property of the
     * record: that error propagates, and the stream thread is replaced and retries, rather than
     * deciding this ping's fate (and stream time) differently from a replay.
     */
    private boolean isFastPath(int id) {
        Schema writer;
        try {
            writer = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return false;
            }
            throw e;
        }
        if (writer.getType() != Schema.Type.RECORD) {
            return false;
        }
        List<Schema.Field> fields = writer.getFields();
        return fields.size() >= 2
            && fields.get(0).name().equals("client_id") && fields.get(0).schema().getType() == Schema.Type.STRING
            && fields.get(1).name().equals("submission_timestamp") && fields.get(1).schema().getType() == Schema.Type.LONG;
    }

    /** Skips an Avro string at {@code pos} and reads the zig-zag varint long after it; MIN_VALUE if truncated. */
    static long readAfterString(byte[] b, int pos) {
        long[] out = new long[1];
        int next = readVarLong(b, pos, out);
        if (next < 0) {
            return Long.MIN_VALUE;
        }
        long length = (out[0] >>> 1) ^ -(out[0] & 1);
        if (length < 0 || next + length >= b.length) {
            return Long.MIN_VALUE;
        }
        if (readVarLong(b, (int) (next + length), out) < 0) {
            return Long.MIN_VALUE;
        }
        return (out[0] >>> 1) ^ -(out[0] & 1);
    }

    private static int readVarLong(byte[] b, int pos, long[] out) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= b.length) {
                return -1;
            }
            int x = b[pos++] & 0xff;
            value |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                out[0] = value;
                return pos;
            }
        }
        return -1;
    }
}
