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
import com.sun.net.httpserver.HttpServer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Queries under load across instances: two instances, each with a standby of the other's
 * partitions, and {@code load.clients} clients (default 64) sending a mix of queries, half to each
 * instance, for {@code load.seconds} (default 15; the full run is
 * {@code mvn verify -Dit.test=LoadIT -Dload.seconds=60}).
 *
 * <p>Run 1, both instances up: no 5xx, every answer complete and equal to the answer before the
 * load, every health check answered with the right status, and the health checks not waiting like
 * queries (see {@link HealthProbe#waitedLikeQueries}). Run 2, the same with one instance killed
 * (SIGKILL) a third of the way through: the dead instance's clients move to the survivor; no 5xx;
 * every answer still complete and equal to the reference (every partition has a standby on the
 * survivor, so no answer may lack one); the survivor keeps answering and its health checks still do
 * not wait like queries; once the group has noticed, the survivor owns every partition and answers
 * as before.
 *
 * <p>No assertion here is a fixed time: on these 2 shared cores one health check was seen at 121
 * and 138 ms against a control's 40 ms, so a fixed 100 ms failed two clean runs in three. What
 * must hold is relative to the same run: a health check never queues behind public queries, so it
 * answers faster than the queries that do queue. {@code ApiServerLanesTest} proves the lanes
 * themselves deterministically, with blocked queries. Each run prints its figures (throughput,
 * query p50/p99, the health checks' p50/p99/max per instance and for a {@link Control}, the most
 * queries seen waiting in a lane, and the load average) for the report, not for a threshold.
 */
class LoadIT {

    private static final int PARTITIONS = 4;
    private static final String APP = "load";
    private static final LocalDate FIRST = LocalDate.of(2026, 7, 1);
    /** 35 days: 28-day metrics are complete from day 27, and days up to 31 are past grace. */
    private static final int DAYS = 35;
    /**
     * The floor of the health bound: a health check's p90 must stay under the same run's query p50,
     * or under this when queries are faster (a check queued behind them would then lose little).
     * Measured on these 2 cores under the full load: health p50 6-10 ms, max 64-181 ms; query p50 ~290 ms.
     */
    private static final Duration HEALTH_FLOOR = Duration.ofMillis(250);
    /** One health check every 50 ms, a, b and the control in turn (see {@link HealthProbe}). */
    private static final Duration HEALTH_PERIOD = Duration.ofMillis(50);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The mix, by weight: ranges of DAU, WAU by group, 28-day metrics by group and filtered, dimensions. */
    private static final List<String> QUERIES = List.of(
        "/v1/engagement?metrics=dau&from=" + day(0) + "&to=" + day(31),
        "/v1/engagement?metrics=dau,wau&from=" + day(10) + "&to=" + day(24) + "&groupBy=os&channel=release",
        "/v1/engagement?metrics=mau,er&from=" + day(27) + "&to=" + day(31) + "&groupBy=channel",
        "/v1/engagement?from=" + day(29) + "&to=" + day(31) + "&groupBy=channel,os",
        "/v1/engagement?metrics=er_smoothed,wau&from=" + day(27) + "&to=" + day(31) + "&os=Linux,Darwin",
        "/v1/engagement?metrics=dau,mau&from=" + day(28) + "&to=" + day(31) + "&groupBy=os&channel=beta,nightly",
        "/v1/dimensions?limit=3");
    private static final int[] WEIGHTS = {4, 4, 4, 2, 3, 3, 1};

    @TempDir
    Path dir;

    @Test
    void queriesHoldUnderLoadAcrossInstancesAndThroughAKill() throws Exception {
        int seconds = Integer.getInteger("load.seconds", 15);
        int clients = Integer.getInteger("load.clients", 64);
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        TestData data = new TestData(FIRST, DAYS, 2500, 1500, 11);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory("load-broker"), false)) {
            KafkaTestUtils.createTopic(kafka.bootstrapServers(), APP + "-pings", PARTITIONS);
            int portA = AppProcess.freePort();
            int portB = AppProcess.freePort();
            Path configB = dir.resolve("b.properties");
            try (var out = Files.newBufferedWriter(configB)) {
                properties(kafka, "b", portB).store(out, null);
            }
            try (EngagementService a = EngagementService.start(EngagementConfig.from(properties(kafka, "a", portA)), registry);
                 AppProcess b = AppProcess.start(dir.resolve("b.log"), portB, "run", "--config", configB.toString());
                 // A bare JDK server beside the instances: the floor any health check pays on this machine.
                 Control control = new Control()) {
                Poll.until("two instances, each owning partitions, each partition with a standby on the other",
                    Duration.ofSeconds(120), () -> b.get("/health/ready").status() == 200 && standbysEverywhere(a));
                KafkaTestUtils.produceAll(kafka.bootstrapServers(),
                    KafkaTestUtils.pingRecords(APP + "-pings", data.pings, registry, PARTITIONS));
                Poll.until("every ping counted by one of the instances", Duration.ofSeconds(120),
                    () -> a.app().counters().total() + b.get("/v1/status").json().path("pings").path("total").asLong()
                        == data.pings.size());

                Map<String, JsonNode> reference = new TreeMap<>();
                for (String q : QUERIES) {
                    JsonNode settled = Poll.stable("the complete answer to " + q, Duration.ofSeconds(60),
                        Duration.ofSeconds(1), () -> comparable(Client.fetch(portA, q)));
                    reference.put(q, settled);
                    Poll.until("instance b answers " + q + " as a does", Duration.ofSeconds(30),
                        () -> settled.equals(comparable(Client.fetch(portB, q))));
                }
                Instances instances = new Instances(portA, portB, control.port());

                Run both = new Run("both instances up", instances, reference, clients, Duration.ofSeconds(seconds), null);
                both.execute();
                both.report();
                assertThat(both.serverErrors()).as("5xx answers").isEmpty();
                both.failures.assertNone("requests that got no answer");
                both.incomplete.assertNone("complete:false answers while both instances are up");
                both.wrong.assertNone("answers that differ from the reference");
                both.health.unanswered.assertNone("health checks not answered with their status");
                both.health.waitedLikeQueries(both.queryMedian()).assertNone("health checks that waited like queries ("
                    + both.health.summary() + "; query p50 " + both.queryMedian().toMillis() + " ms)");
                assertThat(both.queriesWaited.get()).as("queries seen waiting in a query lane: the lanes were under load")
                    .isPositive();
                assertThat(both.answered(portA)).isPositive();
                assertThat(both.answered(portB)).isPositive();

                Run kill = new Run("instance b killed at a third", instances, reference, clients,
                    Duration.ofSeconds(seconds), () -> {
                        instances.killB();
                        try {
                            b.kill();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                kill.execute();
                kill.report();
                assertThat(kill.serverErrors()).as("5xx answers").isEmpty();
                kill.failures.assertNone("requests that got no answer, other than the dead instance's");
                // Every partition has a standby on the survivor (waited for above): no answer may lack one.
                kill.incomplete.assertNone("complete:false answers, with a standby of every partition");
                kill.wrong.assertNone("answers that differ from the reference");
                kill.health.unanswered.assertNone("health checks not answered with their status");
                kill.health.waitedLikeQueries(kill.queryMedian()).assertNone("health checks that waited like queries ("
                    + kill.health.summary() + "; query p50 " + kill.queryMedian().toMillis() + " ms)");
                assertThat(kill.answeredAfterKill.get()).as("the survivor's answers after the kill").isPositive();
                // A survivor that stopped answering would be silent until the group noticed and the
                // queue's 10 s wait ran out; measured: 191 ms with 64 clients on these 2 cores.
                assertThat(kill.longestGapAfterKill()).as("the survivor's longest silence after the kill")
                    .isLessThan(Duration.ofSeconds(ApiServer.QUEUE_WAIT_SECONDS / 2));

                Poll.until("the survivor owns every partition and answers as before", Duration.ofSeconds(120),
                    () -> activeHosts(a) == 1 && QUERIES.stream().allMatch(q -> {
                        JsonNode now = Client.fetch(portA, q);
                        return now != null && now.path("partitions").path("standby").isEmpty()
                            && reference.get(q).equals(comparable(now));
                    }));
            }
        }
    }

    private static LocalDate day(int d) {
        return FIRST.plusDays(d);
    }

    private Properties properties(EmbeddedKafka kafka, String instance, int port) {
        return TestConfigs.peer(kafka.bootstrapServers(), APP, dir.resolve(instance), PARTITIONS, port);
    }

    /** Both instances active for some partitions, and every partition with a standby elsewhere. */
    private static boolean standbysEverywhere(EngagementService a) {
        if (a.app().streams().state() != KafkaStreams.State.RUNNING || activeHosts(a) != 2) {
            return false;
        }
        Set<Integer> standby = new TreeSet<>();
        for (StreamsMetadata m : a.app().streams().streamsMetadataForStore(EngagementTopology.SKETCH_STORE)) {
            for (TopicPartition tp : m.standbyTopicPartitions()) {
                if (tp.topic().equals(APP + "-pings")) {
                    standby.add(tp.partition());
                }
            }
        }
        return standby.size() == PARTITIONS;
    }

    private static long activeHosts(EngagementService service) {
        if (service.app().streams().state() != KafkaStreams.State.RUNNING) {
            return 0;
        }
        return service.app().streams().streamsMetadataForStore(EngagementTopology.SKETCH_STORE).stream()
            .filter(m -> !m.topicPartitions().isEmpty()).map(StreamsMetadata::hostInfo).distinct().count();
    }

    /**
     * An answer as compared with the reference: complete and from every partition, without the
     * fields that may differ between equal answers (time taken, partitions read from a standby) and
     * with each filter's values sorted (the echo of a filter lists its values in an order that
     * varies from one JVM to another); null otherwise. {@code /v1/dimensions} answers are compared
     * whole.
     */
    private static JsonNode comparable(JsonNode answer) {
        if (answer == null) {
            return null;
        }
        if (!answer.has("rows")) {
            return answer;
        }
        if (!answer.path("complete").asBoolean() || answer.path("partitions").path("answered").asInt() != PARTITIONS) {
            return null;
        }
        ObjectNode copy = answer.deepCopy();
        copy.remove("tookMs");
        ((ObjectNode) copy.get("partitions")).remove("standby");
        ObjectNode filters = copy.putObject("filters");
        answer.path("filters").fields().forEachRemaining(f -> {
            List<String> values = new ArrayList<>();
            f.getValue().forEach(v -> values.add(v.asText()));
            Collections.sort(values);
            values.forEach(filters.putArray(f.getKey())::add);
        });
        return copy;
    }

    /** Things that must not happen: how many did, and the first few, for the failure message. */
    private static final class Findings {
        private final AtomicLong count = new AtomicLong();
        private final ConcurrentLinkedQueue<String> first = new ConcurrentLinkedQueue<>();

        void add(String finding) {
            if (count.incrementAndGet() <= 10) {
                first.add(finding);
            }
        }

        long count() {
            return count.get();
        }

        void assertNone(String what) {
            assertThat(count.get()).as("%s: %d, the first %s", what, count.get(), first).isZero();
        }
    }

    /** Where clients send queries: half to each instance, all to a once b is killed. */
    private static final class Instances {
        final int a;
        final int b;
        final int control;
        final AtomicBoolean bKilled = new AtomicBoolean();
        volatile long killedAt;

        Instances(int a, int b, int control) {
            this.a = a;
            this.b = b;
            this.control = control;
        }

        void killB() {
            killedAt = System.nanoTime();
            bKilled.set(true);
        }

        int target(int client) {
            return client % 2 == 1 && !bKilled.get() ? b : a;
        }
    }

    /** HTTP for the load: one client, HTTP/1.1 (no upgrade attempts), connections kept alive. */
    private static final class Client {
        static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

        static HttpResponse<String> get(int port, String pathAndQuery) throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        }

        /** A 200 answer's JSON, or null. */
        static JsonNode fetch(int port, String pathAndQuery) {
            try {
                HttpResponse<String> r = get(port, pathAndQuery);
                return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /**
     * A control for the health figures: a bare JDK server in this JVM that answers any request with
     * a 20-byte body, as a health check does, on its own thread. It does no work, so its latency is
     * the floor that this JVM (the broker, instance a, the clients) and the machine set for any
     * check; it is reported beside the instances' figures, never asserted.
     */
    private static final class Control implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService executor = Executors.newSingleThreadExecutor();

        Control() throws IOException {
            // TCP_NODELAY, as the instances' Jetty sets it: without it a kept-alive answer waits for
            // the client's delayed ACK (40 ms). The JDK reads this when its first server is created.
            if (System.getProperty("sun.net.httpserver.nodelay") == null) {
                System.setProperty("sun.net.httpserver.nodelay", "true");
            }
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            byte[] body = "{ \"status\" : \"UP\" }".getBytes(StandardCharsets.UTF_8);
            server.createContext("/", x -> {
                x.sendResponseHeaders(200, body.length);
                try (var out = x.getResponseBody()) {
                    out.write(body);
                }
            });
            server.setExecutor(executor);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    /**
     * Health checks from one dedicated thread: every {@link #HEALTH_PERIOD}, a, then b, then the
     * {@link Control}, in turn (each every 150 ms; b's turns go to a once b is killed), alternately
     * {@code /health/live} and {@code /health/ready}, each timed from the request's first byte to the
     * answer's last. One thread at a modest rate measures how long a check waits in the server, not
     * how long it queues behind a crowd of checks; a plain blocking connection, kept alive, keeps the
     * client's own thread hops out of the figure. Every check must be answered with its status:
     * {@code live} says 200 throughout; {@code ready} may say 503 (it does while the survivor's
     * streams rebalance). Their times are judged against the run's queries ({@link #waitedLikeQueries}).
     */
    private static final class HealthProbe implements Runnable {
        final Instances instances;
        final AtomicBoolean running = new AtomicBoolean(true);
        /** Checks that got no answer, or a wrong status. */
        final Findings unanswered = new Findings();
        final Map<Integer, ConcurrentLinkedQueue<Long>> nanos = new ConcurrentHashMap<>();
        final Thread thread = new Thread(this, "load-health-probe");
        long started;

        HealthProbe(Instances instances) {
            this.instances = instances;
        }

        @Override
        public void run() {
            started = System.nanoTime();
            int[] turns = {instances.a, instances.b, instances.control};
            for (int turn = 0; running.get(); turn++) {
                long next = System.nanoTime() + HEALTH_PERIOD.toNanos();
                int port = turns[turn % turns.length];
                if (port == instances.b && instances.bKilled.get()) {
                    port = instances.a;
                }
                check(port, turn / turns.length % 2 == 0 ? "/health/live" : "/health/ready");
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    try {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        private void check(int port, String path) {
            long start = System.nanoTime();
            int status = request(port, path);
            long took = System.nanoTime() - start;
            if (port == instances.b && instances.bKilled.get()) {
                return; // killed while we asked
            }
            nanos.computeIfAbsent(port, p -> new ConcurrentLinkedQueue<>()).add(took);
            boolean answered = status == 200 || (status == 503 && path.equals("/health/ready"));
            if (port != instances.control && !answered) {
                unanswered.add((port == instances.a ? "a" : "b") + path + " at +" + (start - started) / 1_000_000
                    + " ms (" + LocalTime.now() + "): " + status + " in " + took / 1_000_000 + " ms");
            }
        }

        /** Untimed checks, so that the first timed one does not pay for class loading. */
        void warmUp() {
            for (int i = 0; i < 20; i++) {
                request(instances.a);
                request(instances.b);
                request(instances.control);
            }
        }

        private static int request(int port) {
            return request(port, "/health/ready");
        }

        private static int request(int port, String path) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path)
                    .toURL().openConnection();
                c.setConnectTimeout(5000);
                c.setReadTimeout(5000);
                int status = c.getResponseCode();
                try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                    if (in != null) {
                        in.readAllBytes();
                    }
                }
                return status;
            } catch (IOException e) {
                return -1;
            }
        }

        /**
         * The instances whose health checks waited like queries: a p90 over the same run's query
         * p50 (or over {@link #HEALTH_FLOOR}, whichever is larger). A health check queued behind
         * public queries (the bug this guards against) waits as a query does, behind up to 56
         * others, so most checks would be that slow; one answered on the front threads takes a few
         * ms. A loaded machine's stalls touch single checks (one in a hundred, up to 181 ms at load
         * averages 7-12), which is why no single check and no p99 (of ~95 checks, the max) is bounded.
         */
        Findings waitedLikeQueries(Duration queryMedian) {
            long bound = Math.max(HEALTH_FLOOR.toNanos(), queryMedian.toNanos());
            Findings slow = new Findings();
            for (int port : new int[] {instances.a, instances.b}) {
                List<Long> sorted = new ArrayList<>(nanos.getOrDefault(port, new ConcurrentLinkedQueue<>()));
                Collections.sort(sorted);
                if (!sorted.isEmpty() && percentile(sorted, 0.90) * 1e6 > bound) {
                    slow.add((port == instances.a ? "a" : "b") + ": " + figures(port));
                }
            }
            return slow;
        }

        /** p50, p99 and max of one target's checks, in ms. */
        String figures(int port) {
            List<Long> sorted = new ArrayList<>(nanos.getOrDefault(port, new ConcurrentLinkedQueue<>()));
            Collections.sort(sorted);
            return String.format("%d checks, p50 %.1f, p90 %.1f, p99 %.1f, max %.1f ms", sorted.size(),
                percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99), percentile(sorted, 1.0));
        }

        String summary() {
            return "a: " + figures(instances.a) + "; b: " + figures(instances.b) + "; control: "
                + figures(instances.control);
        }
    }

    private static double percentile(List<Long> sorted, double p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.max(0, (int) Math.ceil(p * sorted.size()) - 1)) / 1e6;
    }

    /** One load run: the clients, the health probe, and what they saw. */
    private static final class Run {
        final String name;
        final Instances instances;
        final Map<String, JsonNode> reference;
        final int clients;
        final Duration length;
        final Runnable atAThird;
        final HealthProbe health;
        final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        final Map<Integer, AtomicLong> answeredBy = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        /** The most queries seen waiting in instance a's query lane. */
        final AtomicLong queriesWaited = new AtomicLong();
        final Findings failures = new Findings();
        final Findings wrong = new Findings();
        final ConcurrentLinkedQueue<Long> survivorAnswersAt = new ConcurrentLinkedQueue<>();
        final Findings incomplete = new Findings();
        final AtomicLong fromStandby = new AtomicLong();
        final AtomicLong cutOffByKill = new AtomicLong();
        final AtomicLong answeredAfterKill = new AtomicLong();
        long started;
        long ended;
        String loadBefore;
        String loadAfter;

        Run(String name, Instances instances, Map<String, JsonNode> reference, int clients, Duration length,
            Runnable atAThird) {
            this.name = name;
            this.instances = instances;
            this.reference = reference;
            this.clients = clients;
            this.length = length;
            this.atAThird = atAThird;
            this.health = new HealthProbe(instances);
        }

        void execute() throws Exception {
            health.warmUp();
            loadBefore = loadAverage();
            started = System.nanoTime();
            long deadline = started + length.toNanos();
            health.thread.start();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                Thread t = new Thread(() -> load(client, deadline), "load-client-" + c);
                threads.add(t);
                t.start();
            }
            if (atAThird != null) {
                long at = started + length.toNanos() / 3;
                Poll.until("a third of the run", length, () -> System.nanoTime() >= at);
                atAThird.run();
            }
            Thread lanes = new Thread(() -> sampleLanes(deadline), "load-lane-sampler");
            lanes.start();
            for (Thread t : threads) {
                t.join();
            }
            ended = System.nanoTime();
            health.running.set(false);
            health.thread.join();
            lanes.join();
            loadAfter = loadAverage();
        }

        /**
         * Reads instance a's {@code /metrics} every 200 ms for the most queries waiting in its query
         * lane: evidence that the health checks were answered while queries queued.
         */
        private void sampleLanes(long deadline) {
            while (System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = Client.get(instances.a, "/metrics");
                    for (String line : r.body().split("\n")) {
                        if (line.startsWith("engagement_http_waiting_requests{") && line.contains("lane=\"query\"")) {
                            double waiting = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                            queriesWaited.accumulateAndGet((long) waiting, Math::max);
                        }
                    }
                    Thread.sleep(200);
                } catch (IOException | NumberFormatException e) {
                    // a sample lost: the next one counts
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** The median latency of the run's answered queries. */
        Duration queryMedian() {
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            return Duration.ofNanos((long) (percentile(sorted, 0.50) * 1e6));
        }

        private void load(int client, long deadline) {
            Random random = new Random(client);
            int total = Arrays.stream(WEIGHTS).sum();
            while (System.nanoTime() < deadline) {
                int pick = random.nextInt(total);
                int q = 0;
                while (pick >= WEIGHTS[q]) {
                    pick -= WEIGHTS[q++];
                }
                String query = QUERIES.get(q);
                int port = instances.target(client);
                boolean killedBefore = instances.bKilled.get();
                long start = System.nanoTime();
                HttpResponse<String> r;
                try {
                    r = Client.get(port, query);
                } catch (IOException e) {
                    if (port == instances.b && instances.bKilled.get()) {
                        cutOffByKill.incrementAndGet(); // the dead instance's; the client moves on
                    } else {
                        failures.add(port + query + ": " + e);
                    }
                    continue;
                } catch (InterruptedException e) {
                    return;
                }
                long end = System.nanoTime();
                statuses.computeIfAbsent(r.statusCode(), s -> new AtomicLong()).incrementAndGet();
                if (r.statusCode() != 200) {
                    continue;
                }
                latencies.add(end - start);
                answeredBy.computeIfAbsent(port, p -> new AtomicLong()).incrementAndGet();
                if (port == instances.a && killedBefore) {
                    answeredAfterKill.incrementAndGet();
                    survivorAnswersAt.add(end);
                }
                check(query, port, r.body());
            }
        }

        private void check(String query, int port, String body) {
            JsonNode answer;
            try {
                answer = JSON.readTree(body);
            } catch (IOException e) {
                wrong.add(port + query + ": not JSON");
                return;
            }
            if (answer.has("rows")) {
                if (!answer.path("complete").asBoolean()) {
                    long now = System.nanoTime();
                    incomplete.add((port == instances.a ? "a" : "b") + " at +" + (now - started) / 1_000_000 + " ms"
                        + (instances.killedAt == 0 ? "" : " (" + (now - instances.killedAt) / 1_000_000 + " ms after the kill)")
                        + ": " + answer.path("partitions"));
                    return;
                }
                if (!answer.path("partitions").path("standby").isEmpty()) {
                    fromStandby.incrementAndGet();
                }
            }
            // The rows and the partitions read (the rest echoes the query, checked with the reference);
            // no copy of the answer, to keep this JVM's allocation (and instance a's GC pauses) down.
            JsonNode expected = reference.get(query);
            boolean same = answer.has("rows")
                ? expected.get("rows").equals(answer.get("rows"))
                    && answer.path("partitions").path("answered").asInt() == PARTITIONS
                : expected.equals(answer);
            if (!same) {
                wrong.add(port + query + ": " + body.substring(0, Math.min(300, body.length())));
            }
        }

        List<Integer> serverErrors() {
            return statuses.keySet().stream().filter(s -> s >= 500).sorted().collect(Collectors.toList());
        }

        long answered(int port) {
            AtomicLong n = answeredBy.get(port);
            return n == null ? 0 : n.get();
        }

        /** The longest time, after the kill, in which the survivor answered no query. */
        Duration longestGapAfterKill() {
            List<Long> at = new ArrayList<>(survivorAnswersAt);
            at.add(instances.killedAt);
            at.add(ended);
            Collections.sort(at);
            long gap = 0;
            for (int i = 1; i < at.size(); i++) {
                gap = Math.max(gap, at.get(i) - at.get(i - 1));
            }
            return Duration.ofNanos(gap);
        }

        void report() {
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            double seconds = (ended - started) / 1e9;
            System.out.printf("LoadIT [%s]: %d clients for %.1f s: %d answers, %.0f queries/s (a %d, b %d); "
                    + "query p50 %.0f ms, p99 %.0f ms, max %.0f ms; statuses %s; complete:false %d; read from a "
                    + "standby %d; cut off by the kill %d%n",
                name, clients, seconds, sorted.size(), sorted.size() / seconds, answered(instances.a),
                answered(instances.b), percentile(sorted, 0.50), percentile(sorted, 0.99), percentile(sorted, 1.0),
                new TreeMap<>(statuses), incomplete.count(), fromStandby.get(), cutOffByKill.get());
            System.out.printf("LoadIT [%s]: health %s; at most %d queries seen waiting in a's query lane%n", name,
                health.summary(), queriesWaited.get());
            System.out.printf("LoadIT [%s]: load average before %s, after %s%n", name, loadBefore, loadAfter);
            if (atAThird != null) {
                System.out.printf("LoadIT [%s]: the survivor answered %d queries after the kill; longest silence %d ms%n",
                    name, answeredAfterKill.get(), longestGapAfterKill().toMillis());
            }
        }

        private static String loadAverage() {
            try {
                return Files.readString(Path.of("/proc/loadavg")).trim();
            } catch (IOException e) {
                return "unknown";
            }
        }
    }
}
