package dev.engagement.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Trino (476) for integration tests: the coordinator alone, as a child JVM on a Java 24+ JDK,
 * bound to 127.0.0.1 on a free port, {@code -Xmx2G}, with no catalog and no plugin. Queries go through Trino's HTTP
 * statement protocol ({@code POST /v1/statement}, then each {@code nextUri}).
 *
 * <p>The build unpacks {@code io.trino:trino-server-core:tar.gz} into the directory named by the system
 * property {@value #HOME_PROPERTY} (failsafe sets it). The JDK is the one named by the system property
 * {@value #JAVA_PROPERTY} or the environment variable {@value #JAVA_ENV}, else {@value #DEFAULT_JAVA};
 * {@link #missingJava()} says why there is none, for a test to skip with. Trino's output goes to
 * {@code target/trino-logs/} and is shown (its tail) only when it fails to start. {@link #close()}
 * stops the process and waits for it to exit; a shutdown hook kills it if the test JVM dies first.
 */
public final class TrinoServer implements AutoCloseable {

    public static final String HOME_PROPERTY = "trino.home";
    public static final String JAVA_PROPERTY = "trino.java.home";
    public static final String JAVA_ENV = "TRINO_JAVA_HOME";
    public static final String DEFAULT_JAVA = "/usr/lib/jvm/temurin-25-jdk-amd64";
    /** Trino 476 refuses to start on an older Java. */
    public static final int MIN_JAVA = 24;

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern JAVA_VERSION = Pattern.compile("JAVA_VERSION=\"(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private Thread shutdownHook;
    private int port;
    private Path log;

    /** The JDK home to run Trino on, if one of Java {@value #MIN_JAVA}+ is configured or installed. */
    public static Optional<Path> javaHome() {
        return candidateJava().filter(home -> javaFeature(home) >= MIN_JAVA);
    }

    /** Why no JDK can run Trino here, or empty when {@link #javaHome()} has one. */
    public static Optional<String> missingJava() {
        Optional<Path> candidate = candidateJava();
        if (candidate.isEmpty()) {
            return Optional.of("no Java " + MIN_JAVA + "+ for Trino 476: set -D" + JAVA_PROPERTY + " or "
                + JAVA_ENV + " to a JDK home (" + DEFAULT_JAVA + " does not exist)");
        }
        int feature = javaFeature(candidate.get());
        return feature >= MIN_JAVA ? Optional.empty() : Optional.of("Trino 476 needs Java " + MIN_JAVA + "+, "
            + candidate.get() + " is Java " + (feature < 0 ? "of unknown version (no release file)" : feature)
            + ": set -D" + JAVA_PROPERTY + " or " + JAVA_ENV + " to a newer JDK home");
    }

    private static Optional<Path> candidateJava() {
        String configured = System.getProperty(JAVA_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(JAVA_ENV);
        }
        Path home = Path.of(configured == null || configured.isBlank() ? DEFAULT_JAVA : configured);
        return Files.isExecutable(home.resolve("bin").resolve("java")) ? Optional.of(home) : Optional.empty();
    }

    /** The JDK's feature version from its {@code release} file, or -1. */
    private static int javaFeature(Path home) {
        try {
            Matcher m = JAVA_VERSION.matcher(Files.readString(home.resolve("release")));
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Starts Trino's JVM without waiting for it: call {@link #awaitReady()} before querying, so the
     * caller can do other set-up while Trino boots (8-30 s here).
     */
    public synchronized TrinoServer launch() {
        if (process != null) {
            return this;
        }
        Path java = javaHome().orElseThrow(() -> new IllegalStateException(missingJava().orElse("no Java")))
            .resolve("bin").resolve("java");
        Path home = trinoHome();
        port = freePort();
        Path run = Path.of("target", "trino-run", "trino-" + port).toAbsolutePath();
        Path etc = run.resolve("etc");
        try {
            Files.createDirectories(etc.resolve("catalog")); // no catalog: the queries read VALUES only
            // No plugin either (HyperLogLog is in Trino's core). The tarball's plugin/ jars are hard links
            // into lib/, which the build's unpacker writes as empty files.
            Files.createDirectories(run.resolve("plugin"));
            Files.createDirectories(run.resolve("data"));
            Files.writeString(etc.resolve("config.properties"), String.join("\n",
                "coordinator=true",
                "node-scheduler.include-coordinator=true",
                "node.environment=test",
                "node.bind-ip=127.0.0.1",
                "node.internal-address=127.0.0.1",
                "http-server.http.port=" + port,
                "http-server.log.enabled=false",
                "discovery.uri=http://127.0.0.1:" + port,
                // The test's VALUES hold a sketch per (segment, day): well past the default 1M characters.
                "query.max-length=100000000",
                ""));
            Files.writeString(etc.resolve("log.properties"),
                "io.trino=WARN\nio.airlift=WARN\norg.eclipse.jetty=WARN\n");
            Path logs = Path.of("target", "trino-logs").toAbsolutePath();
            Files.createDirectories(logs);
            log = logs.resolve("trino-" + port + "-" + System.currentTimeMillis() + ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessBuilder builder = new ProcessBuilder(java.toString(),
            "-Xmx2G",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dnode.id=test-" + port,
            "-Dnode.data-dir=" + run.resolve("data"),
            "-Dconfig=" + etc.resolve("config.properties"),
            "-Dlog.levels-file=" + etc.resolve("log.properties"),
            "-Dcatalog.config-dir=" + etc.resolve("catalog"),
            "-Dplugin.dir=" + run.resolve("plugin"),
            "-cp", home.resolve("lib") + "/*",
            "io.trino.server.TrinoServer")
            .directory(home.toFile()) // Trino finds plugin/ relative to its working directory
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + java, e);
        }
        Process started = process;
        shutdownHook = new Thread(started::destroyForcibly, "stop-trino-" + port);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        return this;
    }

    /** Waits (with a deadline) until Trino says it has finished starting; on failure shows its log's tail. */
    public TrinoServer awaitReady() {
        URI info = URI.create(root() + "/v1/info");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Trino exited with " + process.exitValue() + "; its output:\n" + tail());
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(info)
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && !JSON.readTree(response.body()).path("starting").asBoolean(true)) {
                    return this;
                }
                last = "HTTP " + response.statusCode() + " " + response.body();
            } catch (ConnectException e) {
                last = "connection refused";
            } catch (IOException e) {
                last = String.valueOf(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for Trino");
            }
            try {
                process.waitFor(200, TimeUnit.MILLISECONDS); // returns at once if it exits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for Trino");
            }
        }
        throw new IllegalStateException("Trino not ready after " + READY_TIMEOUT.toSeconds() + " s (last: " + last
            + "); its output:\n" + tail());
    }

    public String root() {
        if (process == null) {
            throw new IllegalStateException("Trino is not launched");
        }
        return "http://127.0.0.1:" + port;
    }

    /**
     * Runs one statement and returns its rows, each a list of JSON values (numbers, strings, nulls).
     *
     * @throws AssertionError with Trino's message if the query fails
     */
    public List<List<JsonNode>> query(String sql) {
        long deadline = System.nanoTime() + QUERY_TIMEOUT.toNanos();
        List<List<JsonNode>> rows = new ArrayList<>();
        try {
            JsonNode page = send(HttpRequest.newBuilder(URI.create(root() + "/v1/statement"))
                .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8)));
            while (true) {
                if (page.has("error")) {
                    throw new AssertionError("Trino: " + page.get("error").path("message").asText()
                        + " (" + page.get("error").path("errorName").asText() + ")");
                }
                for (JsonNode row : page.path("data")) {
                    List<JsonNode> values = new ArrayList<>();
                    row.forEach(values::add);
                    rows.add(values);
                }
                if (!page.has("nextUri")) {
                    return rows;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("Trino query still running after " + QUERY_TIMEOUT.toSeconds() + " s");
                }
                page = send(HttpRequest.newBuilder(URI.create(page.get("nextUri").asText())).GET());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.header("X-Trino-User", "engagement-test")
            .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("Trino answered HTTP " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /**
     * Stops Trino and waits for its JVM to exit (killing it after {@code 30 s}).
     *
     * @throws IllegalStateException if it is still alive after that
     */
    @Override
    public synchronized void close() {
        if (process == null) {
            return;
        }
        try {
            process.destroy();
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            if (process.isAlive()) {
                throw new IllegalStateException("Trino (pid " + process.pid() + ") did not exit");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook runs anyway
            }
            process = null;
        }
    }

    /** Whether Trino's process is running. */
    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    private static Path trinoHome() {
        String dir = System.getProperty(HOME_PROPERTY);
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("system property " + HOME_PROPERTY + " is not set: run the integration"
                + " tests with `mvn verify` (failsafe sets it to where the build unpacks trino-server-core)");
        }
        Path home = Path.of(dir);
        if (!Files.isDirectory(home.resolve("lib"))) {
            throw new IllegalStateException(HOME_PROPERTY + "=" + dir + " holds no lib/: the pre-integration-test"
                + " phase unpacks io.trino:trino-server-core:tar.gz there");
        }
        return home;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
