package dev.engagement.app;

import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.Pings;
import dev.engagement.testing.Poll;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A steady ingest rate held for a while ({@code -Dsoak.seconds}, 20 in CI) while queries run: the
 * instance keeps up to the end, queries all succeed, and heap, RSS and state size are sampled and
 * printed. Memory must stay within a documented bound.
 */
class SoakIT {

    private static final int RATE = 3000; // pings per second
    private static final String[] CHANNELS = {"release", "beta", "nightly"};
    private static final String[] OSES = {"Windows_NT", "Darwin", "Linux", "Android"};

    @TempDir
    Path dir;

    @Test
    void holdsASteadyRateWithQueriesRunningAndBoundedMemory() throws Exception {
        int seconds = Integer.getInteger("soak.seconds", 20);
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory("soak-broker"), false)) {
            KafkaTestUtils.createTopic(kafka.bootstrapServers(), "soak-pings", 2);
            int port = AppProcess.freePort();
            Map<String, String> p = new HashMap<>();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            p.put("application.id", "soak");
            p.put("state.dir", dir.resolve("state").toString());
            p.put("engagement.topic.pings", "soak-pings");
            p.put("engagement.dimensions", "channel,os");
            p.put("engagement.http.port", Integer.toString(port));
            EngagementConfig config = EngagementConfig.defaults(p);
            try (EngagementService service = EngagementService.start(config, registry)) {
                service.app().awaitRunning(Duration.ofSeconds(60));
                Pings wire = new Pings(registry, "soak-pings");
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicLong produced = new AtomicLong();
                ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
                Thread producer = new Thread(() -> produce(kafka, wire, running, produced), "soak-producer");
                Thread queries = new Thread(() -> query(port, running, statuses), "soak-queries");
                producer.start();
                queries.start();

                List<String> samples = new ArrayList<>();
                long maxLagSecondHalf = 0;
                long maxHeap = 0;
                for (int s = 1; s <= seconds; s++) {
                    Thread.sleep(1000);
                    long lag = produced.get() - service.app().counters().total();
                    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                    maxHeap = Math.max(maxHeap, heap);
                    if (s > seconds / 2) {
                        maxLagSecondHalf = Math.max(maxLagSecondHalf, lag);
                    }
                    samples.add(String.format("t=%2ds produced=%,d lag=%,d heap=%,d MB rss=%,d MB state=%,d KB",
                        s, produced.get(), lag, heap >> 20, ProcessMemory.rssBytes() >> 20, size(dir.resolve("state")) >> 10));
                }
                running.set(false);
                producer.join();
                queries.join();
                samples.forEach(line -> System.out.println("soak: " + line));
                Poll.until("the last pings processed", Duration.ofSeconds(30),
                    () -> service.app().counters().total() == produced.get());

                assertThat(produced.get()).as("the producer held its rate").isGreaterThan((long) RATE * seconds / 2);
                assertThat(maxLagSecondHalf).as("kept up: lag under 3 s of pings in the second half").isLessThan(3L * RATE);
                assertThat(statuses).isNotEmpty().allMatch(code -> code == 200);
                // The test JVM also holds the broker: 512 MB covers both with room (-Xmx2g).
                assertThat(maxHeap).as("heap").isLessThan(512L << 20);
                System.out.printf("soak: %,d pings in %d s, %d queries, max heap %,d MB, max lag in the second half %,d%n",
                    produced.get(), seconds, statuses.size(), maxHeap >> 20, maxLagSecondHalf);
            }
        }
    }

    private static void produce(EmbeddedKafka kafka, Pings wire, AtomicBoolean running,
                                AtomicLong produced) {
        Random random = new Random(3);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
            "bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 5), new ByteArraySerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            while (running.get()) {
                long due = (System.nanoTime() - start) * RATE / 1_000_000_000L;
                while (produced.get() < due) {
                    Instant now = Instant.now();
                    Ping ping = Pings.ping("c" + random.nextInt(50_000), now, LocalDate.ofInstant(now, ZoneOffset.UTC),
                        CHANNELS[random.nextInt(3)], OSES[random.nextInt(4)]);
                    producer.send(new ProducerRecord<>("soak-pings", ping.getClientId().getBytes(StandardCharsets.UTF_8),
                        wire.bytes(ping)));
                    produced.incrementAndGet();
                }
                Thread.sleep(5);
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void query(int port, AtomicBoolean running, ConcurrentLinkedQueue<Integer> statuses) {
        HttpClient http = HttpClient.newHttpClient();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        while (running.get()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/v1/engagement?from=" + today.minusDays(1) + "&to=" + today + "&groupBy=channel"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                statuses.add(r.statusCode());
                Thread.sleep(200);
            } catch (Exception e) {
                statuses.add(-1);
            }
        }
    }

    private static long size(Path path) {
        try {
            return Directories.size(path);
        } catch (Exception e) {
            return -1;
        }
    }
}
