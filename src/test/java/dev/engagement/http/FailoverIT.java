package dev.engagement.http;

import dev.engagement.app.EmbeddedKafka;
import dev.engagement.app.EngagementService;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestConfigs;
import dev.engagement.testing.TestData;
import dev.engagement.topology.EngagementTopology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances with a standby each; one is killed (SIGKILL) while queries run on the other. Every
 * query is answered (no 5xx); once the survivor has taken over, its answers equal those from before
 * the kill; and after the killed instance comes back, work spreads back and answers stay the same.
 */
class FailoverIT {

    private static final int PARTITIONS = 4;
    private static final String APP = "failover";
    private static final LocalDate FIRST = LocalDate.of(2026, 9, 1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    @Test
    void queriesKeepAnsweringThroughAKillAndARestart() throws Exception {
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        TestData data = new TestData(FIRST, 4, 800, 1500, 5);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory("failover-broker"), false)) {
            KafkaTestUtils.createTopic(kafka.bootstrapServers(), APP + "-pings", PARTITIONS);
            int portA = AppProcess.freePort();
            int portB = AppProcess.freePort();
            EngagementConfig configA = EngagementConfig.from(properties(kafka, "a", portA));
            Path configB = dir.resolve("b.properties");
            try (var out = Files.newBufferedWriter(configB)) {
                properties(kafka, "b", portB).store(out, null);
            }
            try (EngagementService a = EngagementService.start(configA, registry)) {
                AppProcess b = AppProcess.start(dir.resolve("b1.log"), portB, "run", "--config", configB.toString());
                try {
                    Poll.until("two instances, each owning partitions", Duration.ofSeconds(120),
                        () -> b.get("/health/ready").status() == 200 && activeHosts(a) == 2);
                    KafkaTestUtils.produceAll(kafka.bootstrapServers(),
                        KafkaTestUtils.pingRecords(APP + "-pings", data.pings, registry, PARTITIONS));
                    String query = "/v1/engagement?from=" + FIRST + "&to=" + FIRST.plusDays(3) + "&groupBy=channel";
                    JsonNode before = Poll.stable("the answer before the kill", Duration.ofSeconds(60), Duration.ofSeconds(2),
                        () -> answeredByAll(portA, query));

                    ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
                    AtomicBoolean querying = new AtomicBoolean(true);
                    Thread load = new Thread(() -> {
                        while (querying.get()) {
                            statuses.add(get(portA, query).statusCode());
                        }
                    }, "failover-queries");
                    load.start();
                    b.kill();
                    Poll.until("the survivor answers as before, from every partition", Duration.ofSeconds(120),
                        () -> before.equals(answeredByAll(portA, query)));
                    querying.set(false);
                    load.join();
                    assertThat(statuses).isNotEmpty().allMatch(s -> s == 200);
                } finally {
                    b.close();
                }

                try (AppProcess again = AppProcess.start(dir.resolve("b2.log"), portB, "run", "--config", configB.toString())) {
                    String query = "/v1/engagement?from=" + FIRST + "&to=" + FIRST.plusDays(3) + "&groupBy=channel";
                    JsonNode reference = answeredByAll(portA, query);
                    Poll.until("work spread back to the restarted instance", Duration.ofSeconds(120),
                        () -> again.get("/health/ready").status() == 200 && activeHosts(a) == 2);
                    Poll.until("both answer as before", Duration.ofSeconds(60),
                        () -> reference.equals(answeredByAll(portA, query)) && reference.equals(answeredByAll(portB, query)));
                }
            }
        }
    }

    private Properties properties(EmbeddedKafka kafka, String instance, int port) {
        return TestConfigs.peer(kafka.bootstrapServers(), APP, dir.resolve(instance), PARTITIONS, port);
    }

    private static long activeHosts(EngagementService service) {
        if (service.app().streams().state() != KafkaStreams.State.RUNNING) {
            return 0;
        }
        return service.app().streams().streamsMetadataForStore(EngagementTopology.SKETCH_STORE).stream()
            .filter(m -> !m.topicPartitions().isEmpty()).map(StreamsMetadata::hostInfo).distinct().count();
    }

    private static HttpResponse<String> get(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The rows of an answer that read every partition, or null. */
    private static JsonNode answeredByAll(int port, String query) {
        HttpResponse<String> r = get(port, query);
        if (r.statusCode() != 200) {
            return null;
        }
        try {
            JsonNode answer = JSON.readTree(r.body());
            if (answer.path("partitions").path("answered").asInt() != PARTITIONS) {
                return null;
            }
            ObjectNode copy = answer.deepCopy();
            copy.remove("tookMs");
            return copy;
        } catch (Exception e) {
            return null;
        }
    }
}
