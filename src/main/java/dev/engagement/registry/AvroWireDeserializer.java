package dev.engagement.registry;

import org.apache.avro.Schema;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads Confluent-framed Avro into a generated record class, resolving each writer schema (looked
 * up by id, then cached) to the reader schema. For consumers of Engagement's topics. Not
 * thread-safe.
 *
 * @param <T> the generated record type
 */
public final class AvroWireDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private final SchemaRegistry registry;
    private final Schema readerSchema;
    private final Map<Integer, SpecificDatumReader<T>> readers = new HashMap<>();

    public AvroWireDeserializer(SchemaRegistry registry, Schema readerSchema) {
        AvroTrust.ensure();
        this.registry = registry;
        this.readerSchema = readerSchema;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length < WireFormat.HEADER_SIZE || data[0] != WireFormat.MAGIC) {
            throw new SerializationException("not Confluent wire format: " + data.length + " bytes");
        }
        int id = WireFormat.schemaId(data);
        SpecificDatumReader<T> reader = readers.computeIfAbsent(id,
            i -> new SpecificDatumReader<>(registry.schemaById(i), readerSchema));
        try {
            return reader.read(null, DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE,
                data.length - WireFormat.HEADER_SIZE, null));
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot read " + readerSchema.getName() + " with schema id " + id, e);
        }
    }
}
