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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cluster that stays up: three {@code run} instances as separate JVMs (static instance ids, one
 * standby of every partition), {@code cluster.clients} clients (default 64) sending a mixed query
 * load while pings keep flowing and 256 slow clients hold half-sent requests open, through a rolling
 * restart (each instance in turn: SIGTERM, started again with the same id and state directory, and
 * ready before the next, as a StatefulSet does) and then a kill -9 and restart of one instance.
 *
 * <p>Asserted: no 5xx but 503 with {@code Retry-After}, and those under 1 %; no answer
 * {@code complete:false} for want of a partition (every partition always has a live active or standby); never more than one
 * instance not ready at a time; every {@code /health/live} answered, its p90 under the same run's
 * query p50 (floor 250 ms), beside the slow clients; and the final answers of every instance equal
 * those of a reference instance that read the same pings without a restart. No fixed time is
 * asserted (these are 2 shared cores); the figures (p50/p99 per query type, readiness timeline) are
 * printed for docs/operations.md.
 */
class ClusterIT {

    private static final int PARTITIONS = 6;
    private static final String APP = "cluster";
    private static final LocalDate FIRST = LocalDate.of(2026, 6, 1);
    private static final int DAYS = 60;
    private static final Duration HEALTH_FLOOR = Duration.ofMillis(250);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    /** The mix: 28-day ER with a filter, a 59-day group-by, releases, dimensions. */
    private static final Map<String, String> QUERIES = new LinkedHashMap<>();

    static {
        QUERIES.put("er28-filter", "/v1/engagement?metrics=er&from=" + day(27) + "&to=" + day(54) + "&channel=release");
        QUERIES.put("groupby59", "/v1/engagement?metrics=dau,mau,er&from=" + day(0) + "&to=" + day(58)
            + "&groupBy=os,channel");
        QUERIES.put("releases", "/v1/releases?dimension=channel&metrics=er&ages=0..3");
        QUERIES.put("dimensions", "/v1/dimensions?limit=3");
    }

    private static final int[] WEIGHTS = {6, 2, 1, 1};

    @TempDir
    Path dir;

    @Test
    void rollingRestartAndAKillUnderLoadWithoutAFailedQuery() throws Exception {
        int clients = Integer.getInteger("cluster.clients", 64);
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        TestData data = new TestData(FIRST, DAYS, 3000, 400, 21);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory("cluster-broker"), false)) {
            String topic = APP + "-pings";
            KafkaTestUtils.createTopic(kafka.bootstrapServers(), topic, PARTITIONS);
            List<ProducerRecord<byte[], byte[]>> records = KafkaTestUtils.pingRecords(topic, data.pings, registry, PARTITIONS);
            int before = records.size() * 7 / 10;
            KafkaTestUtils.produceAll(kafka.bootstrapServers(), records.subList(0, before));

            Instance[] instances = new Instance[3];
            for (int i = 0; i < 3; i++) {
                instances[i] = new Instance(i, AppProcess.freePort(), dir);
                Properties p = TestConfigs.peer(kafka.bootstrapServers(), APP, dir.resolve("state-" + i), PARTITIONS,
                    instances[i].port);
                p.setProperty("engagement.instance-id", "cluster-" + i);
                // The slow clients are held for the whole run (the read timeout's own test is ApiServerConnectionsTest).
                p.setProperty("engagement.http.read-timeout", "10m");
                try (var out = Files.newBufferedWriter(instances[i].config)) {
                    p.store(out, null);
                }
                instances[i].start();
            }
            Properties ref = new Properties();
            ref.putAll(TestConfigs.instance(kafka.bootstrapServers(), APP + "-reference", dir.resolve("reference"), PARTITIONS));
            ref.setProperty("engagement.topic.pings", topic);
            ref.setProperty("engagement.http.port", Integer.toString(AppProcess.freePort()));
            try (EngagementService reference = EngagementService.start(EngagementConfig.from(ref), registry)) {
                for (Instance in : instances) {
                    Poll.until("instance " + in.index + " ready", Duration.ofSeconds(120), in::ready);
                }
                Poll.until("every instance answers from every partition, none from a standby", Duration.ofSeconds(120),
                    () -> {
                        for (Instance in : instances) {
                            JsonNode a = fetch(in.port, QUERIES.get("er28-filter"));
                            if (a == null || a.path("partitions").path("answered").asInt() != PARTITIONS
                                || !a.path("partitions").path("standby").isEmpty()) {
                                return false;
                            }
                        }
                        return true;
                    });

                Load load = new Load(instances, clients);
                Probe probe = new Probe(instances);
                List<Socket> slow = openSlowClients(instances, 256);
                Thread feeder = new Thread(() -> feed(kafka.bootstrapServers(), records.subList(before, records.size()),
                    load.running), "cluster-feeder");
                long started = System.nanoTime();
                probe.start();
                load.start();
                feeder.start();
                try {
                    Poll.until("queries answered on every instance", Duration.ofSeconds(60),
                        () -> load.answeredBy.size() == 3);
                    for (Instance in : instances) {
                        probe.mark("SIGTERM " + in.index);
                        Duration exit = in.process.terminate(Duration.ofSeconds(60));
                        probe.mark("exited " + in.index + " in " + exit.toMillis() + " ms; restarting");
                        in.start();
                        Poll.until("instance " + in.index + " ready again", Duration.ofSeconds(120), in::ready);
                        probe.mark("ready " + in.index);
                    }
                    Instance victim = instances[1];
                    probe.mark("kill -9 " + victim.index);
                    victim.process.kill();
                    long atKill = load.answered.get();
                    // Queries go on against the survivors (its partitions read from standbys) for a while.
                    Poll.until("queries answered while " + victim.index + " is dead", Duration.ofSeconds(60),
                        () -> load.answered.get() > atKill + 200);
                    victim.start();
                    Poll.until("instance " + victim.index + " ready after kill -9", Duration.ofSeconds(120), victim::ready);
                    probe.mark("ready " + victim.index);
                } finally {
                    load.stop();
                    probe.stop();
                    feeder.join(60_000);
                    for (Socket s : slow) {
                        s.close();
                    }
                }
                long seconds = Math.max(1, (System.nanoTime() - started) / 1_000_000_000L);

                String report = load.report(seconds) + "\n" + probe.report();
                System.out.println(report);
                Files.createDirectories(Path.of("target", "cluster-it"));
                Files.writeString(Path.of("target", "cluster-it", "report.txt"), report);

                Poll.until("the reference read every ping", Duration.ofSeconds(120),
                    () -> reference.app().counters().total() == data.pings.size());
                for (Map.Entry<String, String> q : QUERIES.entrySet()) {
                    JsonNode expected = Poll.stable("the reference's " + q.getKey(), Duration.ofSeconds(60),
                        Duration.ofSeconds(1), () -> comparable(fetch(reference.httpPort(), q.getValue())));
                    probe.mark("the reference's " + q.getKey() + " settled");
                    for (Instance in : instances) {
                        Poll.until("instance " + in.index + " answers " + q.getKey() + " as the reference does",
                            Duration.ofSeconds(120), () -> expected.equals(comparable(fetch(in.port, q.getValue()))));
                    }
                }


                assertThat(load.total.get()).as("queries sent").isPositive();
                load.serverErrors.assertNone("5xx other than 503 with Retry-After");
                assertThat(load.retryLater.get() * 100.0 / load.total.get()).as("503 with Retry-After, %% of queries ("
                    + load.retryLater.get() + " of " + load.total.get() + ")").isLessThan(1.0);
                load.incomplete.assertNone("complete:false answers while every partition has a standby");
                load.unanswered.assertNone("queries that no live instance answered");
                probe.notReadyTogether.assertNone("moments when more than one instance was not ready");
                probe.liveUnanswered.assertNone("/health/live checks of a running instance not answered 200");
                Duration healthP90 = probe.liveP90();
                Duration bound = Collections.max(List.of(load.overallMedian(), HEALTH_FLOOR));
                assertThat(healthP90).as("/health/live p90 against the run's query p50 (floor 250 ms)").isLessThan(bound);
            } finally {
                for (Instance in : instances) {
                    in.process.close();
                }
            }
        }
    }

    private static LocalDate day(int d) {
        return FIRST.plusDays(d);
    }

    /** Sends the rest of the pings in 20 slices while the load runs, so that pings flow throughout. */
    private static void feed(String bootstrap, List<ProducerRecord<byte[], byte[]>> rest, AtomicBoolean running) {
        int slices = 20;
        for (int s = 0; s < slices; s++) {
            List<ProducerRecord<byte[], byte[]>> slice = rest.subList(rest.size() * s / slices, rest.size() * (s + 1) / slices);
            try {
                KafkaTestUtils.produceAll(bootstrap, slice);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            long until = System.nanoTime() + 2_000_000_000L; // a slice every 2 s while the load runs
            while (running.get() && System.nanoTime() < until) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Connections that each send half a request (no blank line after the headers) and hold it. */
    private static List<Socket> openSlowClients(Instance[] instances, int count) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), instances[i % instances.length].port);
            OutputStream out = s.getOutputStream();
            out.write("GET /v1/dimensions HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            sockets.add(s);
        }
        return sockets;
    }

    static JsonNode fetch(int port, String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** An answer without what may differ between equal answers (time taken, standby partitions); null if incomplete. */
    static JsonNode comparable(JsonNode answer) {
        if (answer == null) {
            return null;
        }
        ObjectNode copy = answer.deepCopy();
        copy.remove("tookMs");
        if (copy.has("partitions")) {
            if (answer.path("partitions").path("answered").asInt() != PARTITIONS) {
                return null;
            }
            ((ObjectNode) copy.get("partitions")).remove("standby");
        }
        return copy;
    }

    /** One {@code run} process, restarted with the same configuration (instance id, state directory). */
    private static final class Instance {
        final int index;
        final int port;
        final Path config;
        final Path dir;
        volatile AppProcess process;
        int starts;

        Instance(int index, int port, Path dir) {
            this.index = index;
            this.port = port;
            this.dir = dir;
            this.config = dir.resolve("instance-" + index + ".properties");
        }

        void start() throws IOException {
            starts++;
            // Logs under target/, kept after the run (the state directories are the test's temporary ones).
            process = AppProcess.start(Path.of("target", "cluster-it", "instance-" + index + "-" + starts + ".log"), port,
                "run", "--config", config.toString());
        }

        boolean ready() {
            return status("/health/ready") == 200;
        }

        /** The status of a GET, or -1 when nothing answers (the process is down). */
        int status(String path) {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
    }

    /** Things that must not happen: how many did, and the first few. */
    private static final class Findings {
        private final AtomicLong count = new AtomicLong();
        private final ConcurrentLinkedQueue<String> first = new ConcurrentLinkedQueue<>();

        void add(String finding) {
            if (count.incrementAndGet() <= 10) {
                first.add(finding);
            }
        }

        void assertNone(String what) {
            assertThat(count.get()).as("%s: %d, the first %s", what, count.get(), first).isZero();
        }
    }

    /**
     * The clients: each sends queries of the mix, by weight, to its instance; when its instance does
     * not answer at all (down: a load balancer would have taken it out), it goes to the next one,
     * as a load balancer's retry would.
     */
    private static final class Load {
        final Instance[] instances;
        final int clients;
        final AtomicBoolean running = new AtomicBoolean(true);
        final ExecutorService pool;
        final AtomicLong total = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong retryLater = new AtomicLong();
        final AtomicLong redirected = new AtomicLong();
        final Map<Integer, Boolean> answeredBy = new ConcurrentHashMap<>();
        final Map<String, ConcurrentLinkedQueue<Long>> micros = new TreeMap<>();
        final Findings serverErrors = new Findings();
        final Findings incomplete = new Findings();
        final Findings unanswered = new Findings();

        Load(Instance[] instances, int clients) {
            this.instances = instances;
            this.clients = clients;
            this.pool = Executors.newFixedThreadPool(clients);
            QUERIES.keySet().forEach(k -> micros.put(k, new ConcurrentLinkedQueue<>()));
        }

        void start() {
            for (int c = 0; c < clients; c++) {
                int client = c;
                pool.execute(() -> run(client));
            }
        }

        private void run(int client) {
            Random random = new Random(client);
            List<String> names = new ArrayList<>(QUERIES.keySet());
            int weights = 0;
            for (int w : WEIGHTS) {
                weights += w;
            }
            while (running.get()) {
                int pick = random.nextInt(weights);
                int q = 0;
                while (pick >= WEIGHTS[q]) {
                    pick -= WEIGHTS[q++];
                }
                String name = names.get(q);
                String path = QUERIES.get(name);
                boolean done = false;
                for (int attempt = 0; attempt < instances.length && !done && running.get(); attempt++) {
                    Instance in = instances[(client + attempt) % instances.length];
                    long start = System.nanoTime();
                    HttpResponse<String> r;
                    try {
                        r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + in.port + path))
                            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                    } catch (IOException e) {
                        redirected.incrementAndGet(); // nothing listening: the next instance
                        continue;
                    } catch (InterruptedException e) {
                        return;
                    }
                    done = true;
                    total.incrementAndGet();
                    long took = (System.nanoTime() - start) / 1000;
                    if (r.statusCode() == 200) {
                        answered.incrementAndGet();
                        answeredBy.put(in.index, true);
                        micros.get(name).add(took);
                        try {
                            // complete:false for want of a partition (a day not closed yet, or a
                            // 28-day window before the data starts, is the data's, not the cluster's).
                            JsonNode body = JSON.readTree(r.body());
                            JsonNode parts = body.path("partitions");
                            if (parts.has("answered") && parts.path("answered").asInt() != parts.path("total").asInt()) {
                                incomplete.add(name + " on " + in.index + ": " + parts);
                            }
                        } catch (IOException e) {
                            serverErrors.add("unparseable 200 from " + in.index);
                        }
                    } else if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()) {
                        retryLater.incrementAndGet();
                    } else if (r.statusCode() >= 500) {
                        serverErrors.add(r.statusCode() + " " + name + " on " + in.index + ": " + r.body());
                    } else {
                        serverErrors.add("unexpected " + r.statusCode() + " " + name + " on " + in.index + ": " + r.body());
                    }
                }
                if (!done && running.get()) {
                    unanswered.add(name + " (no instance answered)");
                }
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            pool.shutdown();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }

        Duration overallMedian() {
            List<Long> all = new ArrayList<>();
            micros.values().forEach(all::addAll);
            return Duration.ofNanos(percentile(all, 50) * 1000);
        }

        String report(long seconds) {
            StringBuilder b = new StringBuilder("ClusterIT: " + clients + " clients, " + seconds + " s, "
                + total.get() + " queries (" + total.get() / seconds + "/s), 503+Retry-After " + retryLater.get()
                + ", moved to another instance (connection refused) " + redirected.get() + "\n");
            micros.forEach((name, list) -> {
                List<Long> l = new ArrayList<>(list);
                b.append(String.format("  %-12s n=%6d  p50 %6d ms  p99 %6d ms%n", name, l.size(),
                    percentile(l, 50) / 1000, percentile(l, 99) / 1000));
            });
            return b.toString();
        }
    }

    static long percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /**
     * Every 100 ms, asks each instance {@code /health/ready} and {@code /health/live}: the readiness
     * timeline (changes only), how often more than one instance was not ready at once, and the
     * latency of liveness checks of running instances.
     */
    private static final class Probe {
        final Instance[] instances;
        final AtomicBoolean running = new AtomicBoolean(true);
        final Findings notReadyTogether = new Findings();
        final Findings liveUnanswered = new Findings();
        final ConcurrentLinkedQueue<Long> liveMicros = new ConcurrentLinkedQueue<>();
        final List<String> timeline = Collections.synchronizedList(new ArrayList<>());
        final long t0 = System.nanoTime();
        private Thread thread;

        Probe(Instance[] instances) {
            this.instances = instances;
        }

        void mark(String event) {
            String line = String.format("  %7.1f s  %s", (System.nanoTime() - t0) / 1e9, event);
            timeline.add(line);
            System.out.println("ClusterIT" + line);
        }

        void start() {
            thread = new Thread(this::run, "cluster-probe");
            thread.start();
        }

        private void run() {
            String last = "";
            while (running.get()) {
                StringBuilder states = new StringBuilder();
                int notReady = 0;
                for (Instance in : instances) {
                    int ready = in.status("/health/ready");
                    states.append(in.index).append('=').append(ready == 200 ? "ready" : ready < 0 ? "down" : "503").append(' ');
                    if (ready != 200) {
                        notReady++;
                    }
                    if (ready >= 0) {
                        long start = System.nanoTime();
                        int live = in.status("/health/live");
                        if (live == 200) {
                            liveMicros.add((System.nanoTime() - start) / 1000);
                        } else if (live >= 0) {
                            liveUnanswered.add("instance " + in.index + ": " + live);
                        }
                    }
                }
                if (notReady > 1) {
                    notReadyTogether.add(states.toString().trim());
                }
                if (!states.toString().equals(last)) {
                    mark(states.toString().trim());
                    last = states.toString();
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }

        Duration liveP90() {
            return Duration.ofNanos(percentile(new ArrayList<>(liveMicros), 90) * 1000);
        }

        String report() {
            List<Long> l = new ArrayList<>(liveMicros);
            return "  /health/live n=" + l.size() + " p50 " + percentile(l, 50) / 1000.0 + " ms, p90 "
                + percentile(l, 90) / 1000.0 + " ms, p99 " + percentile(l, 99) / 1000.0 + " ms, max "
                + percentile(l, 100) / 1000.0 + " ms\n  readiness timeline:\n" + String.join("\n", timeline);
        }
    }
}
