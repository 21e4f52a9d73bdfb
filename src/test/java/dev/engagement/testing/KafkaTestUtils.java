package dev.engagement.testing;

import dev.engagement.app.Topics;
import dev.engagement.avro.Ping;
import dev.engagement.registry.AvroWireSerializer;
import dev.engagement.registry.SchemaRegistry;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Topic creation and producing for integration tests, with every failure surfaced. */
public final class KafkaTestUtils {

    private KafkaTestUtils() {
    }

    /** Creates a topic and waits until each partition has a leader. */
    public static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            Topics.awaitLeaders(admin, List.of(topic), Duration.ofSeconds(30));
        }
    }

    /** Ping records with each client on a fixed partition, in list order, timestamped with submission time. */
    public static List<ProducerRecord<byte[], byte[]>> pingRecords(String topic, List<Ping> pings,
                                                                   SchemaRegistry registry,
                                                                   int partitions) {
        AvroWireSerializer<Ping> serializer =
            new AvroWireSerializer<>(registry, Ping.getClassSchema());
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(pings.size());
        for (Ping ping : pings) {
            out.add(new ProducerRecord<>(topic, TestData.partition(ping.getClientId(), partitions),
                ping.getSubmissionTimestamp().toEpochMilli(),
                ping.getClientId().getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, ping)));
        }
        return out;
    }

    /** Produces every record, then fails the test if any send failed. */
    public static void produceAll(String bootstrap, List<ProducerRecord<byte[], byte[]>> records)
        throws InterruptedException {
        List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
            "bootstrap.servers", bootstrap, "acks", "all", "linger.ms", 5),
            new ByteArraySerializer(), new ByteArraySerializer())) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                sent.add(producer.send(r));
            }
            producer.flush();
        }
        for (Future<RecordMetadata> f : sent) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new AssertionError("a test record was not produced: " + e.getCause(), e.getCause());
            }
        }
    }
}
