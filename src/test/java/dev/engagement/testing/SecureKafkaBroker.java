package dev.engagement.testing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One real in-process KRaft broker per test class with two client listeners:
 * <ul>
 *   <li>{@code EXTERNAL}, PLAINTEXT: the test kit's own listener, also used between broker and
 *   controller; the test uses it only to create SCRAM users ({@link #createScramUser});</li>
 *   <li>{@code SECURE}, SASL_SSL with SCRAM-SHA-512 only, its certificate signed by a CA generated for
 *   the run ({@link TestCertificates}): {@link #secureBootstrapServers()}.</li>
 * </ul>
 * The test kit names its listeners {@code EXTERNAL} and {@code CONTROLLER} and binds them on port 0
 * through pre-bound sockets; a third listener named in {@code listeners} is bound on a free port by
 * Kafka's default socket factory, and read back with {@code BrokerServer.boundPort}.
 * <pre>{@code
 * @RegisterExtension
 * static final SecureKafkaBroker KAFKA = new SecureKafkaBroker();
 * }</pre>
 */
public final class SecureKafkaBroker implements BeforeAllCallback, AfterAllCallback {

    /** The SASL_SSL listener's name. */
    public static final String SECURE = "SECURE";
    public static final String MECHANISM = "SCRAM-SHA-512";

    private static final String KEYSTORE_PASSWORD = "keystore-pass-5e1d0c";
    private static final String TRUSTSTORE_PASSWORD = "truststore-pass-9b47a2";

    private Path dir;
    private TestCertificates certificates;
    private KafkaClusterTestKit cluster;
    private String secureBootstrap;
    private Duration certificatesTook;
    private Duration brokerTook;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        long started = System.nanoTime();
        dir = Files.createTempDirectory("engagement-secure-broker");
        certificates = TestCertificates.generate(dir.resolve("tls"), KEYSTORE_PASSWORD, TRUSTSTORE_PASSWORD);
        certificatesTook = Duration.ofNanos(System.nanoTime() - started);
        TestKitNodes nodes = new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .setBaseDirectory(dir.resolve("kafka"))
            .build();
        String listener = "listener.name." + SECURE.toLowerCase(Locale.ROOT) + ".";
        Map<String, String> props = new HashMap<>();
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("log.cleaner.dedupe.buffer.size", "4194304");
        props.put("log.retention.ms", "-1");
        String external = nodes.brokerListenerName().value();
        String controller = nodes.controllerListenerName().value();
        props.put("listeners", external + "://localhost:0," + SECURE + "://localhost:0," + controller + "://localhost:0");
        props.put("listener.security.protocol.map", external + ":PLAINTEXT," + SECURE + ":SASL_SSL," + controller + ":PLAINTEXT");
        props.put("inter.broker.listener.name", external);
        props.put("sasl.enabled.mechanisms", MECHANISM);
        props.put(listener + "sasl.enabled.mechanisms", MECHANISM);
        props.put(listener + "scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        props.put(listener + "ssl.keystore.type", "PKCS12");
        props.put(listener + "ssl.keystore.location", certificates.brokerKeystore().toString());
        props.put(listener + "ssl.keystore.password", certificates.keystorePassword());
        props.put(listener + "ssl.key.password", certificates.keystorePassword());
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
        props.forEach(builder::setConfigProp);
        cluster = builder.setDeleteOnClose(true).build();
        try {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            int port = cluster.brokers().values().iterator().next().boundPort(ListenerName.normalised(SECURE));
            secureBootstrap = "localhost:" + port;
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        brokerTook = Duration.ofNanos(System.nanoTime() - started).minus(certificatesTook);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** The SASL_SSL listener, as {@code localhost:port} (the certificate's name). */
    public String secureBootstrapServers() {
        return secureBootstrap;
    }

    /** The unauthenticated PLAINTEXT listener (for set-up only). */
    public String plaintextBootstrapServers() {
        return cluster.bootstrapServers();
    }

    public TestCertificates certificates() {
        return certificates;
    }

    /** How long generating the CA, the broker's certificate and the trust store took (eight keytool runs). */
    public Duration certificatesTook() {
        return certificatesTook;
    }

    /** How long starting the broker took. */
    public Duration brokerTook() {
        return brokerTook;
    }

    /**
     * Client properties for the SASL_SSL listener, as an operator writes them (the trust store holds
     * the CA; host names are verified).
     */
    public Map<String, String> clientProperties(String user, String password) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("bootstrap.servers", secureBootstrap);
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaas(user, password));
        p.put("ssl.truststore.location", certificates.truststore().toString());
        p.put("ssl.truststore.password", certificates.truststorePassword());
        return p;
    }

    /** The client's {@code sasl.jaas.config} for a SCRAM user. */
    public static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
            + "\" password=\"" + password + "\";";
    }

    /**
     * Creates (or updates) a SCRAM-SHA-512 user over the PLAINTEXT listener, then waits until that
     * user can log in on the SASL_SSL listener (credentials reach the listener through the metadata
     * log, a moment after the controller accepts them).
     */
    public void createScramUser(String user, String password, Duration timeout) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", plaintextBootstrapServers()))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> client = new HashMap<>(clientProperties(user, password));
        client.put("default.api.timeout.ms", 5000);
        client.put("request.timeout.ms", 5000);
        Poll.until("SCRAM user " + user + " can log in over SASL_SSL", timeout, () -> {
            try (Admin admin = Admin.create(client)) {
                admin.listTopics().names().get(10, TimeUnit.SECONDS);
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
