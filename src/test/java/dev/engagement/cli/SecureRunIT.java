package dev.engagement.cli;

import dev.engagement.testing.AppProcess;
import dev.engagement.testing.BasicAuthProxy;
import dev.engagement.testing.Poll;
import dev.engagement.testing.RegistryServer;
import dev.engagement.testing.SecureKafkaBroker;
import dev.engagement.testing.TestCertificates;
import dev.engagement.testing.TestData;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code engagement run --config} against Kafka over SASL_SSL (SCRAM-SHA-512, a CA and a broker
 * certificate generated for the run) and a schema registry behind HTTP basic authentication,
 * configured as {@code docker/secure.properties.example} shows. Pings produced over SASL_SSL (by
 * {@code replay}) are counted and queried. A wrong password, an untrusted broker certificate, or
 * streams clients refused after the start-up check each end {@code run} with one line of ours (the
 * last) and a non-zero exit, without retrying. No secret appears in any line a run logs (Kafka at
 * INFO in the working run).
 */
class SecureRunIT {

    @RegisterExtension
    static final RegistryServer REGISTRY = new RegistryServer();
    @RegisterExtension
    static final SecureKafkaBroker KAFKA = new SecureKafkaBroker();

    private static final String USER = "engagement";
    private static final String PASSWORD = "scram-pass-3c81f6d2";
    private static final String WRONG_PASSWORD = "wrong-pass-a07be519";
    private static final String REGISTRY_USER_INFO = "engagement:registry-pass-6d2f90";
    private static final String TOKEN = "http-token-e4b8c1d7";

    @TempDir
    Path dir;

    @BeforeAll
    static void users() throws Exception {
        System.out.printf("SecureRunIT: certificates made in %d ms, SASL_SSL broker started in %d ms%n",
            KAFKA.certificatesTook().toMillis(), KAFKA.brokerTook().toMillis());
        KAFKA.createScramUser(USER, PASSWORD, Duration.ofSeconds(60));
    }

    /** Every secret the runs know; none may appear in a log line, in clear or as a basic-auth header. */
    private static List<String> secrets() {
        return List.of(PASSWORD, WRONG_PASSWORD, REGISTRY_USER_INFO, REGISTRY_USER_INFO.split(":")[1], TOKEN,
            KAFKA.certificates().truststorePassword(), KAFKA.certificates().keystorePassword(),
            Base64.getEncoder().encodeToString(REGISTRY_USER_INFO.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code docker/secure.properties.example}, pointed at the test's broker, registry and directories. */
    private Path config(String name, String password, String registryUrl, int httpPort, String... overrides)
        throws Exception {
        Path config = dir.resolve(name);
        List<String> lines = new ArrayList<>(List.of(
            "bootstrap.servers=" + KAFKA.secureBootstrapServers(),
            // One application per run: the runs share the broker, not their consumer groups or transactional ids.
            "application.id=secure-run-it-" + name.replace(".properties", ""),
            "state.dir=" + dir.resolve("state-" + name),
            "processing.guarantee=exactly_once_v2",
            "num.standby.replicas=1",
            "commit.interval.ms=500",
            "",
            "security.protocol=SASL_SSL",
            "sasl.mechanism=SCRAM-SHA-512",
            "sasl.jaas.config=" + SecureKafkaBroker.jaas(USER, password),
            "ssl.truststore.location=" + KAFKA.certificates().truststore(),
            "ssl.truststore.password=" + KAFKA.certificates().truststorePassword(),
            "",
            "engagement.schema-registry.url=" + registryUrl,
            "engagement.schema-registry.basic-auth-user-info=" + REGISTRY_USER_INFO,
            // One broker: the example's 3 replicas cannot be placed.
            "engagement.topic.replication-factor=1",
            "engagement.topic.partitions=2",
            "engagement.dimensions=channel,os",
            "engagement.http.bind=127.0.0.1",
            "engagement.http.port=" + httpPort,
            "engagement.http.token=" + TOKEN));
        lines.addAll(List.of(overrides)); // a later line wins
        lines.add("");
        Files.writeString(config, String.join("\n", lines), StandardCharsets.UTF_8);
        return config;
    }

    @Test
    void ingestsAndAnswersOverSaslSslWithARegistryBehindBasicAuth() throws Exception {
        LocalDate first = LocalDate.of(2026, 9, 1);
        TestData data = new TestData(first, 3, 300, 400, 11);
        Path pings = data.writeJsonLines(dir.resolve("pings.jsonl"));
        int port = AppProcess.freePort();
        long started = System.nanoTime();
        try (BasicAuthProxy registry = new BasicAuthProxy(REGISTRY.root(), REGISTRY_USER_INFO);
             // Kafka at INFO: its client configuration dumps are part of what must not leak.
             AppProcess run = AppProcess.start(dir.resolve("run.log"), port, Map.of("KAFKA_LOG_LEVEL", "INFO"),
                 "run", "--config", config("secure.properties", PASSWORD, registry.root() + RegistryServer.CCOMPAT_PATH, port)
                     .toString())) {
            Poll.until("run ready", Duration.ofSeconds(120), () -> {
                if (!run.isAlive()) {
                    throw new AssertionError("run exited: " + run.output());
                }
                return run.get("/health/ready", null).status() == 200;
            });
            long ready = System.nanoTime();

            // Produced over SASL_SSL too, as an operator would: replay with the same client settings.
            List<String> replay = new ArrayList<>(List.of("replay", pings.toString(),
                "--bootstrap-servers", KAFKA.secureBootstrapServers(), "--schema-registry", REGISTRY.url()));
            KAFKA.clientProperties(USER, PASSWORD).forEach((k, v) -> {
                if (!k.equals("bootstrap.servers")) {
                    replay.addAll(List.of("--property", k + "=" + v));
                }
            });
            assertThat(Main.execute(replay.toArray(String[]::new))).isZero();

            Poll.until("every replayed ping counted", Duration.ofSeconds(90),
                () -> run.get("/v1/status", TOKEN).json().path("pings").path("total").asLong() == data.pings.size());
            String query = "/v1/engagement?from=" + first + "&to=" + first.plusDays(2) + "&metrics=dau&groupBy=channel,os";
            JsonNode answer = Poll.stable("the answer", Duration.ofSeconds(30), Duration.ofSeconds(1), () ->
                run.get(query, TOKEN).json().path("rows"));
            long answered = System.nanoTime();
            assertThat(answer).isNotEmpty();
            int checked = 0;
            for (JsonNode row : answer) {
                String key = TestData.key(LocalDate.parse(row.path("day").asText()),
                    row.path("group").path("channel").asText(), row.path("group").path("os").asText());
                assertThat(Math.round(row.path("dau").path("estimate").asDouble())).as(key)
                    .isEqualTo(data.exact.getOrDefault(key, Set.of()).size());
                checked++;
            }
            assertThat(checked).isEqualTo(data.exact.size());
            JsonNode status = run.get("/v1/status", TOKEN).json();
            assertThat(status.path("pings").path("accepted").asLong()).isEqualTo(data.pings.size() - data.latePings);
            // The registry was reached through basic auth, and every request carried the credentials.
            assertThat(registry.authorized()).isPositive();
            assertThat(registry.refused()).isZero();
            String served = run.get("/v1/status", TOKEN).text() + run.get("/metrics", TOKEN).text();
            run.close();
            System.out.printf("SecureRunIT: run ready in %d ms; %d pings replayed, counted and answered in %d ms;"
                    + " %d log lines%n", (ready - started) / 1_000_000, data.pings.size(), (answered - ready) / 1_000_000,
                run.output().lines().count());
            String out = run.output();
            assertThat(out).contains("security.protocol=SASL_SSL", "sasl.jaas.config=****", "ssl.truststore.password=****",
                "basic auth: ****", "bearer token: ****");
            // Kafka's own INFO configuration dumps were written (and mask their passwords).
            assertThat(out).contains("sasl.jaas.config = [hidden]");
            assertNoSecret(out);
            assertNoSecret(served);
        }
    }

    @Test
    void aWrongPasswordEndsRunWithOneClearLineAndANonZeroExit() throws Exception {
        Failure failure = failingRun("wrong-password", WRONG_PASSWORD);
        assertThat(failure.line()).startsWith("engagement: Kafka authentication failed for user 'engagement' (SASL_SSL,"
                + " SCRAM-SHA-512, bootstrap.servers=" + KAFKA.secureBootstrapServers() + "): ")
            .contains("invalid credentials", "Check the user name and password in sasl.jaas.config");
        // Refused by the start-up check: no stream thread ran, nothing was retried, no stack trace.
        assertThat(failure.output()).doesNotContain("\tat ", "stream thread", "Engagement is up");
    }

    @Test
    void anUntrustedBrokerCertificateEndsRunWithOneClearLineAndANonZeroExit() throws Exception {
        Path foreign = TestCertificates.foreignTruststore(dir.resolve("other-ca"), KAFKA.certificates().truststorePassword());
        Failure failure = failingRun("untrusted-certificate", PASSWORD, "ssl.truststore.location=" + foreign);
        assertThat(failure.line()).startsWith("engagement: the TLS handshake with Kafka failed (SASL_SSL, bootstrap.servers="
                + KAFKA.secureBootstrapServers() + "): SSL handshake failed: ")
            .contains("unable to find valid certification path", "Check ssl.truststore.location");
        assertThat(failure.output()).doesNotContain("stream thread", "Engagement is up");
    }

    @Test
    void streamsRefusedAfterTheStartUpCheckStopAtOnceWithOneClearLine() throws Exception {
        // The start-up check (an Admin client) logs in; the streams' main consumer, configured apart, is refused.
        Failure failure = failingRun("consumer-refused", PASSWORD,
            "main.consumer.sasl.jaas.config=" + SecureKafkaBroker.jaas(USER, WRONG_PASSWORD));
        assertThat(failure.output()).contains("Engagement is up", "stream thread refused by Kafka (authentication); stopping")
            .doesNotContain("replacing it");
        assertThat(failure.line()).startsWith("engagement: Kafka authentication failed for the configured credentials"
                + " (SASL_SSL, SCRAM-SHA-512, bootstrap.servers=" + KAFKA.secureBootstrapServers() + "): ")
            .contains("invalid credentials", "Check the user names and passwords in main.consumer.sasl.jaas.config,"
                + " sasl.jaas.config");
    }

    /** How a run that cannot work ended: its one line of ours, and everything it wrote. */
    private record Failure(String line, String output) {
    }

    /**
     * Runs {@code run} with a configuration that cannot work; expects a non-zero exit within a
     * deadline, no secret in any line, and exactly one line of ours ({@code engagement: ...}), the last.
     */
    private Failure failingRun(String name, String password, String... overrides) throws Exception {
        int port = AppProcess.freePort();
        long started = System.nanoTime();
        try (BasicAuthProxy registry = new BasicAuthProxy(REGISTRY.root(), REGISTRY_USER_INFO);
             AppProcess run = AppProcess.start(dir.resolve(name + ".log"), port, Map.of(), "run", "--config",
                 config(name + ".properties", password, registry.root() + RegistryServer.CCOMPAT_PATH, port, overrides)
                     .toString())) {
            int exit = run.waitFor(Duration.ofSeconds(90));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            String out = run.output();
            List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
            System.out.printf("SecureRunIT: %s ended run in %d ms with exit %d; %d lines, the last: %s%n", name,
                took.toMillis(), exit, lines.size(), lines.isEmpty() ? "" : lines.get(lines.size() - 1));
            assertThat(exit).as(out).isNotZero();
            assertNoSecret(out);
            List<String> ours = lines.stream().filter(l -> l.startsWith("engagement: ")).toList();
            assertThat(ours).as(out).hasSize(1);
            assertThat(lines.get(lines.size() - 1)).isEqualTo(ours.get(0));
            return new Failure(ours.get(0), out);
        }
    }

    private static void assertNoSecret(String text) {
        for (String line : text.split("\n", -1)) {
            for (String secret : secrets()) {
                assertThat(line).as("a logged line").doesNotContain(secret);
            }
        }
    }
}
