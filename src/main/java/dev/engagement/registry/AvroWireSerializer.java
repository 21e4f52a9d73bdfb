package dev.engagement.registry;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serializes a generated Avro record in the Confluent wire format, registering its schema under
 * the subject {@code <topic>-value} (Confluent's TopicNameStrategy) on first use per topic.
 * Thread-safe: one instance can serve every stream thread of a sink.
 *
 * @param <T> the generated record type
 */
public final class AvroWireSerializer<T extends SpecificRecord> implements Serializer<T> {

    private final SchemaRegistry registry;
    private final SpecificDatumWriter<T> writer;
    private final Schema schema;
    private final Map<String, Integer> idsByTopic = new ConcurrentHashMap<>();

    public AvroWireSerializer(SchemaRegistry registry, Schema schema) {
        AvroTrust.ensure();
        this.registry = registry;
        this.schema = schema;
        this.writer = new SpecificDatumWriter<>(schema);
    }

    /** The subject a topic's values are registered under. */
    public static String subject(String topic) {
        return topic + "-value";
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        int id = idsByTopic.computeIfAbsent(topic, t -> registry.register(subject(t), schema));
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
        buffer.write(WireFormat.MAGIC);
        buffer.write(id >>> 24);
        buffer.write(id >>> 16);
        buffer.write(id >>> 8);
        buffer.write(id);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(buffer, null);
        try {
            writer.write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot serialize " + schema.getName() + " for " + topic, e);
        }
        return buffer.toByteArray();
    }
}
