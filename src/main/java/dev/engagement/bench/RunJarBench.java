package dev.engagement.bench;

import dev.engagement.app.Directories;
import dev.engagement.app.Topics;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.EmbeddedSchemaRegistry;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The product as users start it: {@code bench}'s own pings pre-produced to a broker in its own JVM
 * ({@code kafka.Kafka} from the same jar, KRaft, one combined node), then {@code java -Xmx<heap> -jar
 * engagement.jar run} in a fresh JVM with the product's defaults (only {@code bootstrap.servers},
 * {@code state.dir} and a free HTTP port are set). A fresh broker per round.
 *
 * <p>Progress is read from the app's {@code /metrics} ({@code engagement_pings_total}, every outcome)
 * every {@value #POLL_MS} ms; the crossing times of the first ping, 20 % and 100 % of the pings are
 * interpolated between scrapes. CPU comes from {@code /proc/<pid>/stat} and
 * {@code /proc/<pid>/task/<tid>/stat} (utime + stime), each thread named by {@code jcmd Thread.print}
 * (its {@code nid}), else by its {@code comm}. Topic bytes come from the broker's log directories
 * ({@code describeLogDirs}) after the app has closed (which commits). Linux only.
 */
public final class RunJarBench {

    static final long POLL_MS = 500;
    private static final String TOPIC = "pings";
    private static final double TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on
    private static final Pattern NID = Pattern.compile("^\"(.*)\" .*nid=(0x[0-9a-f]+|\\d+)");

    /** Thread groups, in report order. */
    public static final List<String> GROUPS = List.of("stream threads", "JIT compiler threads", "GC and VM thread",
        "producer/consumer/admin I/O", "RocksDB", "HTTP (the bench's /metrics scrapes)", "other");

    /**
     * @param jar        the engagement jar ({@code run} for the app, {@code kafka.Kafka} for the broker)
     * @param heap       the app's {@code -Xmx}
     * @param brokerHeap the broker's {@code -Xmx}
     * @param jvmOptions more options for the app's JVM (such as {@code -XX:StartFlightRecording=...})
     */
    public record Settings(Path jar, long pings, int partitions, int clients, int segments, String heap,
                           String brokerHeap, int rounds, List<String> jvmOptions) {
    }

    /**
     * One round's figures.
     *
     * @param startupSeconds         from the app's launch to its first ping read
     * @param seconds                from the first ping read to the last
     * @param rate                   pings / seconds
     * @param steadyRate             the last 80 % of the pings over their time
     * @param appCpuSeconds          the app process's CPU from its launch to its last ping read
     * @param appCpuByGroup          the same by thread group ({@link #GROUPS}; "other" includes threads that ended)
     * @param appCpuToExitSeconds    the app's CPU from its launch until it exited (close commits)
     * @param brokerCpuSeconds       the broker's CPU from the app's launch to its last ping read
     * @param brokerCpuToExitSeconds the broker's CPU from the app's launch until it exited
     * @param topicBytesPerMillion   bytes in the broker's logs per million pings, by topic role
     * @param maxCommitMs            the largest {@code commit-latency-max} of a stream thread seen, NaN if none
     */
    public record Round(int round, double startupSeconds, double seconds, double rate, double steadyRate,
                        double appCpuSeconds, Map<String, Double> appCpuByGroup, double appCpuToExitSeconds,
                        double brokerCpuSeconds, double brokerCpuToExitSeconds, Map<String, Double> topicBytesPerMillion,
                        double maxCommitMs, double loadAverage) {
    }

    private final Settings settings;
    private final PrintStream progress;
    private final String java = ProcessHandle.current().info().command().orElse("java");

    public RunJarBench(Settings settings, PrintStream progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /** Runs every round; each with a fresh broker, fresh pings and a fresh app. */
    public List<Round> run() throws Exception {
        if (!Files.isRegularFile(settings.jar())) {
            throw new IllegalArgumentException("--run-jar " + settings.jar() + " is not a file (build it: ./mvnw -DskipTests package)");
        }
        List<Round> rounds = new ArrayList<>();
        for (int r = 1; r <= settings.rounds(); r++) {
            Path dir = Files.createTempDirectory("engagement-run-jar");
            try {
                rounds.add(round(r, dir));
            } finally {
                Directories.delete(dir);
            }
        }
        return rounds;
    }

    private Round round(int round, Path dir) throws Exception {
        int port = freePort();
        int controllerPort = freePort();
        Process broker = startBroker(dir, port, controllerPort);
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", "127.0.0.1:" + port))) {
            EngagementConfig config = EngagementConfig.defaults(Map.of());
            // The topics the app would create itself (pings with LogAppendTime: the pings are weeks old).
            Topics.ensure(admin, config, settings.partitions(), (short) -1);
            long t0 = System.nanoTime();
            produce("127.0.0.1:" + port);
            progress.printf("bench: run-jar round %d: %,d pings produced in %.1f s%n", round, settings.pings(),
                (System.nanoTime() - t0) / 1e9);
            return measure(round, dir, port, admin, config, broker);
        } finally {
            stop(broker);
        }
    }

    private Round measure(int round, Path dir, int brokerPort, Admin admin, EngagementConfig config, Process broker)
        throws Exception {
        int httpPort = freePort();
        Path props = dir.resolve("app.properties");
        Files.writeString(props, "bootstrap.servers=127.0.0.1:" + brokerPort + "\nstate.dir=" + dir.resolve("state")
            + "\nengagement.http.port=" + httpPort + "\n");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx" + settings.heap()));
        command.addAll(settings.jvmOptions());
        command.addAll(List.of("-jar", settings.jar().toString(), "run", "--config", props.toString()));
        long brokerCpuAtLaunch = cpuTicks(broker.pid());
        long launched = System.nanoTime();
        Process app = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(dir.resolve("app.log").toFile()).start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build();
            List<double[]> samples = new ArrayList<>(); // {seconds since launch, pings read}
            double maxCommit = Double.NaN;
            long lastProgress = System.nanoTime();
            double lastCount = -1;
            while (true) {
                if (!app.isAlive()) {
                    throw new IllegalStateException("the app exited (" + app.exitValue() + ") before reading every ping; its"
                        + " log: " + tail(dir.resolve("app.log")));
                }
                long before = System.nanoTime();
                String text;
                try {
                    text = http.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
                } catch (IOException e) {
                    text = null; // not listening yet
                }
                long after = System.nanoTime();
                if (text != null) {
                    double count = sum(text, "engagement_pings_total");
                    maxCommit = max(maxCommit, maxOf(text, "kafka_stream_thread_commit_latency_max"));
                    samples.add(new double[] {((before + after) / 2 - launched) / 1e9, count});
                    if (count != lastCount) {
                        lastCount = count;
                        lastProgress = after;
                    }
                    if (count >= settings.pings()) {
                        break;
                    }
                }
                if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(180)) {
                    throw new IllegalStateException("no progress for 180 s at " + lastCount + " pings; the app's log: "
                        + tail(dir.resolve("app.log")));
                }
                Thread.sleep(POLL_MS);
            }
            long appCpu = cpuTicks(app.pid());
            long brokerCpu = cpuTicks(broker.pid()) - brokerCpuAtLaunch;
            Map<Long, long[]> tasks = taskTicks(app.pid());
            Map<Long, String> names = threadNames(app.pid());
            Map<String, Double> byGroup = new LinkedHashMap<>();
            GROUPS.forEach(g -> byGroup.put(g, 0.0));
            long grouped = 0;
            Map<String, Double> others = new HashMap<>();
            for (Map.Entry<Long, long[]> t : tasks.entrySet()) {
                String name = names.getOrDefault(t.getKey(), comms.getOrDefault(t.getKey(), ""));
                byGroup.merge(group(name), t.getValue()[0] / TICKS_PER_SECOND, Double::sum);
                grouped += t.getValue()[0];
                if (group(name).equals("other")) {
                    others.merge(name.replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<id>").replaceAll("\\d+$", "N"),
                        t.getValue()[0] / TICKS_PER_SECOND, Double::sum);
                }
            }
            progress.printf("bench: run-jar round %d: the largest of \"other\": %s%n", round, others.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(6)
                .map(e -> String.format("%s %.1f s", e.getKey(), e.getValue())).toList());
            byGroup.merge("other", Math.max(0, appCpu - grouped) / TICKS_PER_SECOND, Double::sum); // ended threads
            double maxCommitMs = maxCommit;
            double load = loadAverage();

            stopGracefully(app);
            double appToExit = lastTicks / TICKS_PER_SECOND;
            double brokerToExit = (cpuTicks(broker.pid()) - brokerCpuAtLaunch) / TICKS_PER_SECOND;
            Map<String, Double> bytes = topicBytes(admin, config);

            double first = crossing(samples, 1);
            double fifth = crossing(samples, 0.2 * settings.pings());
            double last = crossing(samples, settings.pings());
            double seconds = last - first;
            Round result = new Round(round, first, seconds, settings.pings() / seconds,
                0.8 * settings.pings() / (last - fifth), appCpu / TICKS_PER_SECOND, byGroup, appToExit,
                brokerCpu / TICKS_PER_SECOND, brokerToExit, bytes, maxCommitMs, load);
            progress.printf("bench: run-jar round %d: %,.0f pings/s from the first ping (%,.0f over the last 80 %%), app"
                + " CPU %.1f s, broker CPU %.1f s%n", round, result.rate(), result.steadyRate(), result.appCpuSeconds(),
                result.brokerCpuSeconds());
            return result;
        } finally {
            if (app.isAlive()) {
                app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private long lastTicks;
    private final Map<Long, String> comms = new HashMap<>();

    /** SIGTERM (the app closes Kafka Streams, which commits), its CPU read just before it exits. */
    private void stopGracefully(Process app) throws Exception {
        app.destroy();
        lastTicks = cpuTicks(app.pid());
        while (app.isAlive()) {
            try {
                lastTicks = cpuTicks(app.pid());
            } catch (IOException | RuntimeException gone) {
                break;
            }
            app.waitFor(20, TimeUnit.MILLISECONDS);
        }
        if (!app.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the app did not stop within 60 s of SIGTERM");
        }
    }

    /** The time at which the count reached {@code value}, linear between the two scrapes around it. */
    static double crossing(List<double[]> samples, double value) {
        double[] previous = {0, 0};
        for (double[] s : samples) {
            if (s[1] >= value) {
                if (s[1] == previous[1]) {
                    return s[0];
                }
                return previous[0] + (s[0] - previous[0]) * (value - previous[1]) / (s[1] - previous[1]);
            }
            previous = s;
        }
        throw new IllegalStateException("the count never reached " + value);
    }

    /** The thread group of a thread's name (or {@code comm}, 15 characters at most). */
    static String group(String name) {
        if (name.startsWith("kafka-producer-network-thread") || name.startsWith("kafka-coordinator-heartbeat")
            || name.startsWith("kafka-admin-client-thread") || name.startsWith("consumer_background")
            || name.startsWith("kafka-producer-") || name.startsWith("kafka-coordinat") || name.startsWith("kafka-admin-cli")) {
            return GROUPS.get(3);
        }
        if (name.matches(".*-StreamThread-\\d+")) {
            return GROUPS.get(0);
        }
        if (name.contains("CompilerThre")) {
            return GROUPS.get(1);
        }
        if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.startsWith("VM Thread")) {
            return GROUPS.get(2);
        }
        if (name.startsWith("rocksdb")) {
            return GROUPS.get(4);
        }
        if (name.startsWith("engagement-http")) {
            return GROUPS.get(5);
        }
        return GROUPS.get(6);
    }

    /** Sums the samples of a Prometheus metric (every label set). */
    static double sum(String text, String metric) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** The largest sample of a Prometheus metric, NaN when it has none (or only NaN). */
    static double maxOf(String text, String metric) {
        double max = Double.NaN;
        for (String line : text.split("\n")) {
            if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
                max = max(max, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        return max;
    }

    private static double max(double a, double b) {
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
    }

    private Process startBroker(Path dir, int port, int controllerPort) throws Exception {
        Path props = dir.resolve("server.properties");
        Files.writeString(props, String.join("\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
            "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
            "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs=" + dir.resolve("kafka-logs"),
            "num.partitions=" + settings.partitions(),
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "log.cleaner.dedupe.buffer.size=4194304") + "\n");
        String cp = settings.jar().toString();
        Process format = new ProcessBuilder(java, "-Xmx256m", "-cp", cp, "kafka.tools.StorageTool", "format", "-t",
            Uuid.randomUuid().toString(), "-c", props.toString()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("format.log").toFile()).start();
        if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
            throw new IllegalStateException("formatting the broker's storage failed: " + tail(dir.resolve("format.log")));
        }
        Process broker = new ProcessBuilder(java, "-Xmx" + settings.brokerHeap(), "-cp", cp, "kafka.Kafka", props.toString())
            .redirectErrorStream(true).redirectOutput(dir.resolve("broker.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                break;
            } catch (IOException notYet) {
                if (!broker.isAlive() || System.nanoTime() > deadline) {
                    stop(broker);
                    throw new IllegalStateException("the broker did not open its port: " + tail(dir.resolve("broker.log")));
                }
                Thread.sleep(100);
            }
        }
        return broker;
    }

    private void produce(String bootstrap) {
        new BenchPings(settings.clients(), settings.segments(), 1).produce(bootstrap, new EmbeddedSchemaRegistry(), TOPIC, settings.pings());
    }

    /** Bytes per million pings in the broker's logs: pings, changelog(s), partials, downstream sketches, other. */
    private Map<String, Double> topicBytes(Admin admin, EngagementConfig config) throws Exception {
        Map<String, Long> bytes = new LinkedHashMap<>();
        for (String k : List.of("pings", "changelog", "partials", "downstream sketches", "other")) {
            bytes.put(k, 0L);
        }
        Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(List.of(1)).allDescriptions()
            .get(30, TimeUnit.SECONDS);
        for (Map<String, LogDirDescription> byDir : dirs.values()) {
            for (LogDirDescription d : byDir.values()) {
                for (Map.Entry<TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
                    String topic = e.getKey().topic();
                    String role = topic.equals(TOPIC) ? "pings" : topic.endsWith("-changelog") ? "changelog"
                        : topic.equals(config.partialsTopic()) ? "partials"
                        : topic.equals(config.sketchesTopic()) ? "downstream sketches" : "other";
                    bytes.merge(role, e.getValue().size(), Long::sum);
                }
            }
        }
        Map<String, Double> perMillion = new LinkedHashMap<>();
        bytes.forEach((k, v) -> perMillion.put(k, v * 1e6 / settings.pings()));
        return perMillion;
    }

    /** utime + stime of a process, threads that ended included, in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        return ticks(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }

    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
    }

    /** Each live thread's ticks; remembers its comm. */
    private Map<Long, long[]> taskTicks(long pid) throws IOException {
        Map<Long, long[]> out = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    long tid = Long.parseLong(t.getFileName().toString());
                    out.put(tid, new long[] {ticks(stat)});
                    comms.put(tid, stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
                } catch (IOException ended) {
                    // the thread ended between the listing and the read: its time is in the process's
                }
            }
        }
        return out;
    }

    /** Native thread id to Java thread name, from {@code jcmd <pid> Thread.print}; empty when jcmd fails. */
    private Map<Long, String> threadNames(long pid) {
        Map<Long, String> names = new HashMap<>();
        Path jcmd = Path.of(java).resolveSibling("jcmd");
        try {
            Process p = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid),
                "Thread.print").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            for (String line : out.split("\n")) {
                Matcher m = NID.matcher(line);
                if (m.find()) {
                    String nid = m.group(2);
                    names.put(nid.startsWith("0x") ? Long.parseLong(nid.substring(2), 16) : Long.parseLong(nid), m.group(1));
                }
            }
        } catch (IOException | InterruptedException e) {
            progress.println("bench: jcmd Thread.print failed (" + e.getMessage() + "): threads named by comm only");
        }
        return names;
    }

    static double loadAverage() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
