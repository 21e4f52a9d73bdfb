package dev.engagement.app;

import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.AvroWireSerializer;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.testing.KafkaBroker;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestConfigs;
import dev.engagement.testing.TestData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Partitions added to the pings topic while Engagement runs: it notices, says so in
 * {@code /v1/status}, answers count the new partition (incomplete until it is read, never silently
 * short), and once Kafka Streams gives it a task its pings are counted.
 */
class PartitionGrowthIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    private static final LocalDate DAY = LocalDate.of(2026, 9, 1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path stateDir;

    @Test
    void aPartitionAddedWhileRunningIsDetectedCountedAndRead() throws Exception {
        String name = "growth";
        Map<String, String> p = TestConfigs.instance(KAFKA.bootstrapServers(), name, stateDir, 0);
        p.put("metadata.max.age.ms", "2000"); // Kafka Streams notices the new partition within 2 s
        p.put("engagement.http.port", "0");
        EngagementConfig config = EngagementConfig.defaults(p);
        KafkaTestUtils.createTopic(KAFKA.bootstrapServers(), config.pingsTopic(), 2);
        TestData before = new TestData(DAY, 1, 300, 600, 5);
        KafkaTestUtils.produceAll(KAFKA.bootstrapServers(),
            KafkaTestUtils.pingRecords(config.pingsTopic(), before.pings, REGISTRY, 2));

        try (EngagementService service = EngagementService.start(config, REGISTRY)) {
            Poll.until("the first pings counted", Duration.ofSeconds(90),
                () -> service.app().counters().total() >= before.pings.size());
            String query = "/v1/engagement?from=" + DAY + "&to=" + DAY + "&metrics=dau";
            assertThat(get(service, query).path("partitions").path("total").asInt()).isEqualTo(2);

            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", KAFKA.bootstrapServers()))) {
                admin.createPartitions(Map.of(config.pingsTopic(), NewPartitions.increaseTo(3))).all().get();
            }
            Poll.until("the status says the topic grew", Duration.ofSeconds(30), () -> {
                Map<String, Object> status = service.status();
                return Integer.valueOf(3).equals(status.get("partitions"))
                    && Integer.valueOf(2).equals(status.get("partitionsAtStart"));
            });
            assertThat(get(service, query).path("partitions").path("total").asInt())
                .as("answers count the new partition, read or not").isEqualTo(3);

            // Clients of the new partition only: counted once Kafka Streams has given it a task.
            List<Ping> newcomers = new TestData(DAY, 1, 50, 100, 6).pings.stream()
                .map(ping -> Ping.newBuilder(ping).setClientId("new-" + ping.getClientId()).build()).toList();
            KafkaTestUtils.produceAll(KAFKA.bootstrapServers(), newcomers.stream()
                .map(ping -> new ProducerRecord<>(config.pingsTopic(), 2,
                    ping.getSubmissionTimestamp().toEpochMilli(), ping.getClientId().getBytes(),
                    new AvroWireSerializer<Ping>(REGISTRY, Ping.getClassSchema())
                        .serialize(config.pingsTopic(), ping)))
                .toList());
            Poll.until("the new partition's pings counted and read", Duration.ofSeconds(90), () ->
                service.app().counters().total() >= before.pings.size() + newcomers.size()
                    && get(service, query).path("partitions").path("answered").asInt() == 3);
        }
    }

    private static JsonNode get(EngagementService service, String pathAndQuery) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + service.httpPort() + pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
