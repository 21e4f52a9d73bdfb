package dev.engagement.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code engagement <command>} in a separate JVM, as a user would run the jar, with the test
 * class path; stops it with SIGTERM (a clean shutdown through the shutdown hook).
 */
public final class AppProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final Path log;
    private final int port;

    private AppProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts {@code Main} with the arguments; output goes to {@code log}. */
    public static AppProcess start(Path log, int httpPort, String... args) throws IOException {
        return start(log, httpPort, Map.of(), args);
    }

    /**
     * As {@link #start(Path, int, String...)}, with extra environment variables (e.g.
     * {@code KAFKA_LOG_LEVEL=INFO}, read by the app's logging set-up).
     */
    public static AppProcess start(Path log, int httpPort, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m", "-cp", System.getProperty("java.class.path"),
            // The app's own logging set-up, as in the jar (the test class path also holds logback-test.xml).
            "-Dlogback.configurationFile=" + AppProcess.class.getClassLoader().getResource("logback.xml"),
            "dev.engagement.cli.Main"));
        command.addAll(List.of(args));
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        return new AppProcess(p, log, httpPort);
    }

    /** A free TCP port on loopback. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to exit and returns its exit code. */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process still running after " + timeout + "; log: " + log);
        }
        return process.exitValue();
    }

    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GETs a path and returns (status, parsed JSON body); unreachable is an unchecked exception. */
    public Response get(String pathAndQuery) {
        return get(pathAndQuery, null);
    }

    /** As {@link #get(String)}, with a bearer token (when not null). */
    public Response get(String pathAndQuery, String token) {
        HttpResponse<String> r;
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(30));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            body = null;
        }
        return new Response(r.statusCode(), body, r.body());
    }

    /** An HTTP answer. */
    public record Response(int status, JsonNode json, String text) {
    }

    /** SIGKILL: no shutdown hook, no commit, no flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * SIGTERM, and how long the process took to exit.
     *
     * @throws AssertionError when it is still running after {@code timeout}
     */
    public Duration terminate(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running " + timeout + " after SIGTERM; log: " + log);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** SIGTERM, then wait for a clean exit. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
