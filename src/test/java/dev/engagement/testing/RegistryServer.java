package dev.engagement.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

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
import java.util.concurrent.TimeUnit;

/**
 * A real schema registry for integration tests: Apicurio Registry 2.6 started as a child JVM on a
 * free port, speaking the Confluent API under {@code /apis/ccompat/v7}. Its data lives in memory,
 * so each start is a fresh registry.
 *
 * <p>The build unpacks Apicurio into the directory named by the system property
 * {@value #DIR_PROPERTY} (failsafe sets it). Use it once per test class, as an extension:
 * <pre>{@code
 * @RegisterExtension
 * static final RegistryServer REGISTRY = new RegistryServer();
 * ... new ConfluentRegistryClient(REGISTRY.url(), null) ...
 * }</pre>
 * or by hand with {@link #start()} and {@link #close()}. The registry's output goes to
 * {@code target/apicurio-logs/}.
 */
public final class RegistryServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    public static final String DIR_PROPERTY = "apicurio.dir";
    public static final String RUNNER_JAR = "apicurio-registry-app-2.6.13.Final-runner.jar";
    /** Where Apicurio serves the Confluent Schema Registry API. */
    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final int START_ATTEMPTS = 3;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private Thread shutdownHook;
    private int port;
    private Path log;

    /** Starts the registry and waits until its Confluent API answers. Idempotent. */
    public synchronized RegistryServer start() {
        if (process != null) {
            return this;
        }
        Path jar = runnerJar();
        List<String> failures = new ArrayList<>();
        // A free port can be taken between our probe and the registry's bind: retry on a new port.
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int candidate = freePort();
            Path candidateLog = logFile(candidate);
            Process started = launch(jar, candidate, candidateLog);
            Thread hook = new Thread(started::destroyForcibly, "stop-apicurio-" + candidate);
            Runtime.getRuntime().addShutdownHook(hook);
            String failure = awaitReady(started, candidate, candidateLog);
            if (failure == null) {
                process = started;
                shutdownHook = hook;
                port = candidate;
                log = candidateLog;
                return this;
            }
            stop(started);
            removeHook(hook);
            failures.add(failure);
            if (failure.startsWith("timed out")) {
                break; // a slow start will not get faster on another port
            }
        }
        throw new IllegalStateException("Apicurio registry did not start: " + String.join("; ", failures));
    }

    /** The Confluent-compatible base URL, e.g. {@code http://127.0.0.1:41234/apis/ccompat/v7}. */
    public String url() {
        return root() + CCOMPAT_PATH;
    }

    /** The server root, without the Confluent API prefix. */
    public String root() {
        requireStarted();
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        requireStarted();
        return port;
    }

    /** The file that holds the registry's output. */
    public Path log() {
        requireStarted();
        return log;
    }

    /** Stops the registry and waits for its process to exit. Idempotent. */
    @Override
    public synchronized void close() {
        if (process == null) {
            return;
        }
        try {
            stop(process);
        } finally {
            removeHook(shutdownHook);
            process = null;
            shutdownHook = null;
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private void requireStarted() {
        if (process == null) {
            throw new IllegalStateException("the registry is not started: call start() or register the extension");
        }
    }

    private static Path runnerJar() {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("system property " + DIR_PROPERTY + " is not set: run the integration tests"
                + " with `mvn verify` (failsafe sets it to the directory where the build unpacks Apicurio), or pass"
                + " -D" + DIR_PROPERTY + "=<dir containing " + RUNNER_JAR + ">");
        }
        Path jar = Path.of(dir).resolve(RUNNER_JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(DIR_PROPERTY + "=" + dir + " holds no " + RUNNER_JAR
                + ": the pre-integration-test phase unpacks io.apicurio:apicurio-registry-app:tar.gz:all there");
        }
        return jar;
    }

    private static Path logFile(int port) {
        Path dir = Path.of("target", "apicurio-logs");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir.resolve("registry-" + port + "-" + System.currentTimeMillis() + ".log").toAbsolutePath();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Process launch(Path jar, int port, Path log) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java,
            "-Xmx384m",
            "-Dquarkus.http.port=" + port,
            "-Dquarkus.http.host=127.0.0.1",
            "-jar", jar.toString())
            .directory(jar.getParent().toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + java, e);
        }
    }

    /** @return null once the Confluent API answers 200, or why it never will */
    private String awaitReady(Process started, int port, Path log) {
        URI probe = URI.create("http://127.0.0.1:" + port + CCOMPAT_PATH + "/subjects");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String lastAnswer = "no answer";
        while (System.nanoTime() < deadline) {
            if (!started.isAlive()) {
                return "exited with " + started.exitValue() + " on port " + port + "; its output:\n" + tail(log);
            }
            try {
                HttpResponse<Void> response = http.send(
                    HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return null;
                }
                lastAnswer = "HTTP " + response.statusCode();
            } catch (ConnectException e) {
                lastAnswer = "connection refused";
            } catch (IOException e) {
                lastAnswer = String.valueOf(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
            // Poll, do not guess: wait for a state change of the process or the next probe.
            try {
                started.waitFor(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return "timed out after " + READY_TIMEOUT.toSeconds() + " s on port " + port + " (last: " + lastAnswer
            + "); its output:\n" + tail(log);
    }

    private static void stop(Process started) {
        started.destroy();
        try {
            if (!started.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                started.destroyForcibly();
                started.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            started.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting: the hook runs anyway
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
