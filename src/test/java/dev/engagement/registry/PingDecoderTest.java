package dev.engagement.registry;

import dev.engagement.avro.Ping;
import dev.engagement.ping.Rejection;
import dev.engagement.testing.Pings;

import com.sun.management.ThreadMXBean;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PingDecoderTest {

    private static final int PING_ID = 1;
    private static final int SKETCH_ID = 2;
    private static final Ping A_PING = Pings.ping("c0ffee00-0000-4000-8000-000000000001",
        Instant.parse("2026-10-01T12:34:56.789Z"), LocalDate.of(2026, 10, 1), "beta", "Darwin");

    private final EmbeddedSchemaRegistry embedded = new EmbeddedSchemaRegistry();
    private final CountingRegistry registry = new CountingRegistry(embedded);
    private final PingDecoder decoder = new PingDecoder(registry);
    private final byte[] valid = new Pings(embedded, "pings").bytes(A_PING);

    @Test
    void decodesAFramedPing() throws Exception {
        assertThat(WireFormat.schemaId(valid)).isEqualTo(PING_ID);
        assertThat(decoder.decode(valid)).isEqualTo(A_PING);
        // Each decode returns a fresh ping, and the reader of an id is built once.
        Ping again = decoder.decode(valid);
        assertThat(again).isEqualTo(A_PING).isNotSameAs(decoder.decode(valid));
        assertThat(registry.lookups.get()).isEqualTo(1);
    }

    @Test
    void aNullOrTooShortRecordIsMalformed() {
        assertRejected(null, Rejection.MALFORMED_RECORD);
        assertRejected(new byte[0], Rejection.MALFORMED_RECORD);
        assertRejected(new byte[] {0, 0, 0, 1}, Rejection.MALFORMED_RECORD);
        assertThat(registry.lookups.get()).isZero();
    }

    @Test
    void aWrongMagicByteIsRejected() {
        byte[] bytes = valid.clone();
        bytes[0] = 1;
        assertRejected(bytes, Rejection.WRONG_MAGIC_BYTE);
        assertThat(registry.lookups.get()).isZero();
    }

    @Test
    void aHeaderWithoutBodyIsMalformedAvro() {
        assertRejected(Arrays.copyOf(valid, WireFormat.HEADER_SIZE), Rejection.MALFORMED_AVRO);
    }

    @Test
    void truncatedAvroIsMalformed() {
        for (int cut = 1; cut < 8; cut++) {
            assertRejected(Arrays.copyOf(valid, valid.length - cut), Rejection.MALFORMED_AVRO);
        }
    }

    @Test
    void trailingBytesAreMalformed() throws Exception {
        byte[] longer = Arrays.copyOf(valid, valid.length + 1);
        assertRejected(longer, Rejection.MALFORMED_AVRO);
        // The decoder is not left in a bad state by the rejection.
        assertThat(decoder.decode(valid)).isEqualTo(A_PING);
    }

    @Test
    void anUnknownIdIsRejectedAndRemembered() {
        byte[] bytes = valid.clone();
        WireFormat.writeHeader(bytes, 4242);
        assertRejected(bytes, Rejection.UNKNOWN_SCHEMA_ID);
        assertRejected(bytes, Rejection.UNKNOWN_SCHEMA_ID);
        assertThat(registry.lookups.get()).as("registry lookups for the unknown id").isEqualTo(1);
    }

    @Test
    void anIdThatIsNotAPingIsIncompatible() {
        byte[] bytes = valid.clone();
        WireFormat.writeHeader(bytes, SKETCH_ID);
        assertRejected(bytes, Rejection.INCOMPATIBLE_SCHEMA);
    }

    @Test
    void aRegistryFailureIsNotARejectionAndIsNotRemembered() throws Exception {
        registry.failWith = new SchemaRegistryException(SchemaRegistryException.UNREACHABLE, "down");
        assertThatThrownBy(() -> decoder.decode(valid)).isSameAs(registry.failWith);
        registry.failWith = null;
        assertThat(decoder.decode(valid)).isEqualTo(A_PING);
        assertThat(registry.lookups.get()).isEqualTo(2);
    }

    @Test
    void aHugeClaimedStringLengthIsRejectedWithoutAllocatingIt() {
        byte[] bytes = framed(PING_ID, out -> {
            out.writeLong(1_500_000_000L); // client_id claims 1.5 GB
            out.writeFixed(new byte[] {'a', 'b', 'c'});
        });
        long allocated = allocatedBy(() -> assertRejected(bytes, Rejection.MALFORMED_AVRO));
        assertThat(allocated).as("bytes allocated while decoding").isLessThan(16L << 20);
    }

    @Test
    void aNegativeStringLengthIsMalformed() {
        byte[] bytes = framed(PING_ID, out -> out.writeLong(-5));
        assertRejected(bytes, Rejection.MALFORMED_AVRO);
    }

    @Test
    void aHugeClaimedMapIsRejectedWithoutAllocatingIt() {
        byte[] bytes = framed(PING_ID, out -> {
            out.writeString("client");
            out.writeLong(A_PING.getSubmissionTimestamp().toEpochMilli());
            for (int nullable = 0; nullable < 8; nullable++) {
                out.writeIndex(0); // activity_date and the seven string dimensions: null
            }
            out.writeIndex(1); // attributes: a map
            out.writeLong(1_000_000_000L); // of a billion entries
            out.writeString("k");
            out.writeString("v");
        });
        long allocated = allocatedBy(() -> assertRejected(bytes, Rejection.MALFORMED_AVRO));
        assertThat(allocated).as("bytes allocated while decoding").isLessThan(16L << 20);
    }

    @Test
    void aStringOverTheOneMebibyteCapIsRejectedEvenWhenItsBytesArePresent() throws Exception {
        // The sizes chosen here are a check that AvroTrust's cap is in force: without it, this decodes.
        byte[] big = new byte[(1 << 20) + 1];
        Arrays.fill(big, (byte) 'x');
        byte[] bytes = framed(PING_ID, out -> {
            out.writeBytes(big); // client_id: the same encoding as a string
            out.writeLong(A_PING.getSubmissionTimestamp().toEpochMilli());
            for (int nullable = 0; nullable < 9; nullable++) {
                out.writeIndex(0);
            }
        });
        assertRejected(bytes, Rejection.MALFORMED_AVRO);

        byte[] small = framed(PING_ID, out -> {
            out.writeString("x".repeat(1000));
            out.writeLong(A_PING.getSubmissionTimestamp().toEpochMilli());
            for (int nullable = 0; nullable < 9; nullable++) {
                out.writeIndex(0);
            }
        });
        assertThat(decoder.decode(small).getClientId()).hasSize(1000);
    }

    private void assertRejected(byte[] bytes, Rejection expected) {
        assertThatThrownBy(() -> decoder.decode(bytes))
            .isInstanceOfSatisfying(PingDecoder.RejectedException.class,
                e -> assertThat(e.rejection()).as(e.getMessage()).isEqualTo(expected));
    }

    private interface AvroWrites {
        void write(BinaryEncoder out) throws IOException;
    }

    private static byte[] framed(int id, AvroWrites body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = new byte[WireFormat.HEADER_SIZE];
        WireFormat.writeHeader(header, id);
        out.writeBytes(header);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            body.write(encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Bytes allocated by this thread while running the action. */
    private static long allocatedBy(Runnable action) {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(thread);
        action.run();
        return threads.getThreadAllocatedBytes(thread) - before;
    }

    /** Counts schema lookups, and can fail them. */
    private static final class CountingRegistry implements SchemaRegistry {
        final SchemaRegistry delegate;
        final AtomicInteger lookups = new AtomicInteger();
        volatile SchemaRegistryException failWith;

        CountingRegistry(SchemaRegistry delegate) {
            this.delegate = delegate;
        }

        @Override
        public int register(String subject, Schema schema) {
            return delegate.register(subject, schema);
        }

        @Override
        public Schema schemaById(int id) {
            lookups.incrementAndGet();
            if (failWith != null) {
                throw failWith;
            }
            return delegate.schemaById(id);
        }

        @Override
        public RegisteredSchema latest(String subject) {
            return delegate.latest(subject);
        }
    }
}
