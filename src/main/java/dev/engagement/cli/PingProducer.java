package dev.engagement.cli;

import dev.engagement.avro.Ping;
import dev.engagement.registry.AvroWireSerializer;
import dev.engagement.registry.SchemaRegistry;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/** Produces pings in the Confluent wire format, keyed by client id. */
final class PingProducer implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroWireSerializer<Ping> serializer;
    private final String topic;
    private final AtomicLong sent = new AtomicLong();

    PingProducer(Properties kafka, SchemaRegistry registry, String topic) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.serializer = new AvroWireSerializer<>(registry, Ping.getClassSchema());
        this.topic = topic;
    }

    void send(Ping ping) {
        producer.send(new ProducerRecord<>(topic, null, ping.getSubmissionTimestamp().toEpochMilli(),
            ping.getClientId().getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, ping)));
        sent.incrementAndGet();
    }

    void sendRaw(byte[] value) {
        producer.send(new ProducerRecord<>(topic, null, value));
        sent.incrementAndGet();
    }

    long sent() {
        return sent.get();
    }

    void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
