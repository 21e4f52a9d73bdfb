package dev.engagement.registry;

import dev.engagement.avro.Ping;
import dev.engagement.ping.Rejection;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Decodes Confluent-framed Avro pings written with any registered schema that resolves to ours.
 * One per task: not thread-safe (it reuses its decoder and reader objects).
 *
 * <p>An unknown schema id is remembered for a minute, so a flood of records with random ids
 * cannot hammer the registry. A registry that cannot be reached is not a property of the record:
 * that {@link SchemaRegistryException} propagates and stops the task rather than dead-letter good
 * pings.
 */
public final class PingDecoder {

    /** Thrown for a record that cannot be read as a ping. */
    public static final class RejectedException extends Exception {
        private final Rejection rejection;

        RejectedException(Rejection rejection, String detail) {
            super(detail, null, false, false);
            this.rejection = rejection;
        }

        public Rejection rejection() {
            return rejection;
        }
    }

    private static final long UNKNOWN_ID_MEMORY_MS = 60_000;

    private final SchemaRegistry registry;
    private final Map<Integer, SpecificDatumReader<Ping>> readers = new HashMap<>();
    private final Map<Integer, Long> unknownUntil = new HashMap<>();
    private BinaryDecoder decoder;

    public PingDecoder(SchemaRegistry registry) {
        AvroTrust.ensure();
        this.registry = registry;
    }

    /**
     * @param framed the record value
     * @return a fresh ping
     * @throws RejectedException when the bytes are not a readable ping
     */
    public Ping decode(byte[] framed) throws RejectedException {
        if (framed == null || framed.length < WireFormat.HEADER_SIZE) {
            throw new RejectedException(Rejection.MALFORMED_RECORD,
                framed == null ? "null value" : "only " + framed.length + " bytes");
        }
        if (framed[0] != WireFormat.MAGIC) {
            throw new RejectedException(Rejection.WRONG_MAGIC_BYTE, "magic byte " + framed[0]);
        }
        int id = WireFormat.schemaId(framed);
        SpecificDatumReader<Ping> reader = readerFor(id);
        decoder = DecoderFactory.get().binaryDecoder(framed, WireFormat.HEADER_SIZE,
            framed.length - WireFormat.HEADER_SIZE, decoder);
        try {
            Ping ping = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new RejectedException(Rejection.MALFORMED_AVRO, "trailing bytes after the ping");
            }
            return ping;
        } catch (IOException | RuntimeException e) {
            throw new RejectedException(Rejection.MALFORMED_AVRO, String.valueOf(e));
        } catch (OutOfMemoryError e) {
            throw new RejectedException(Rejection.MALFORMED_AVRO, "a field claims more memory than exists");
        }
    }

    private SpecificDatumReader<Ping> readerFor(int id) throws RejectedException {
        SpecificDatumReader<Ping> reader = readers.get(id);
        if (reader != null) {
            return reader;
        }
        Long until = unknownUntil.get(id);
        if (until != null && until > System.currentTimeMillis()) {
            throw new RejectedException(Rejection.UNKNOWN_SCHEMA_ID, "schema id " + id);
        }
        Schema writer;
        try {
            writer = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            if (!e.isNotFound()) {
                throw e;
            }
            if (unknownUntil.size() > 10_000) {
                unknownUntil.clear();
            }
            unknownUntil.put(id, System.currentTimeMillis() + UNKNOWN_ID_MEMORY_MS);
            throw new RejectedException(Rejection.UNKNOWN_SCHEMA_ID, "schema id " + id);
        }
        SchemaCompatibility.SchemaPairCompatibility compatibility =
            SchemaCompatibility.checkReaderWriterCompatibility(Ping.getClassSchema(), writer);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new RejectedException(Rejection.INCOMPATIBLE_SCHEMA,
                "schema id " + id + " cannot be read as a ping: " + compatibility.getDescription());
        }
        reader = new SpecificDatumReader<>(writer, Ping.getClassSchema());
        readers.put(id, reader);
        return reader;
    }
}
