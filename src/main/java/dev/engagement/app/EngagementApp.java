package dev.engagement.app;

import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.ConfluentRegistryClient;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.registry.SchemaRegistry;
import dev.engagement.store.BoundedRocksDbConfig;
import dev.engagement.store.IncompatibleStateException;
import dev.engagement.topology.EngagementTopology;
import dev.engagement.topology.IngestCounters;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running instance of Engagement: topics ensured, the topology built from the configuration and
 * run by Kafka Streams. {@code main} code only wires {@link #streamsConfig} and
 * {@link EngagementTopology#build} together, so tests run the exact production topology.
 */
public final class EngagementApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EngagementApp.class);

    /** The application id when the configuration gives none. */
    public static final String DEFAULT_APPLICATION_ID = "engagement";
    /** Where a derived {@code group.instance.id} is kept, in the application's state directory. */
    static final String INSTANCE_ID_FILE = "engagement-instance-id";
    /** How long a close may take before the process goes on without it (a SIGTERM exits within 10 s). */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(6);
    /** The default {@code commit.interval.ms}: how often changed sketches are written (see BENCHMARKS.md). */
    public static final int DEFAULT_COMMIT_INTERVAL_MS = 10_000;

    private final EngagementConfig config;
    private final SchemaRegistry registry;
    private final IngestCounters counters = new IngestCounters();
    private final KafkaStreams streams;

    private final int pingPartitions;
    private final Admin watchAdmin;
    private final PartitionWatch partitionWatch;
    private static final int MAX_THREAD_REPLACEMENTS = 10;
    private final ArrayDeque<Long> failures = new ArrayDeque<>();
    private volatile boolean closing;
    private volatile Throwable fatal;

    private EngagementApp(EngagementConfig config, SchemaRegistry registry, int pingPartitions, Admin watchAdmin)
        throws IOException {
        this.config = config;
        this.registry = registry;
        this.pingPartitions = pingPartitions;
        this.watchAdmin = watchAdmin;
        Properties props = streamsConfig(config, pingPartitions);
        this.partitionWatch = new PartitionWatch(watchAdmin, config.pingsTopic(), pingPartitions,
            props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG) + "-" + EngagementTopology.SKETCH_STORE + "-changelog");
        Topology topology = EngagementTopology.build(config, registry, counters, partitionWatch);
        if (!props.containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId(config, props));
        }
        LOG.info("group.instance.id {} (static membership: a restart takes its partitions back at once)",
            props.getProperty(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
        this.streams = new KafkaStreams(topology, props);
        this.streams.setUncaughtExceptionHandler(this::onStreamThreadFailure);
    }

    /**
     * A stream thread died (for example: the schema registry could not be reached). Replace it, so
     * that a transient outage heals itself with nothing lost (the task resumes from its last
     * commit); but after {@value #MAX_THREAD_REPLACEMENTS} failures within ten minutes, stop the
     * client: the instance reports itself dead and {@code run} exits non-zero. An authentication
     * failure (refused credentials, an untrusted certificate) or stored state these settings cannot
     * read ({@link IncompatibleStateException}) stops the client at once: a replacement would stop
     * in the same way.
     */
    private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onStreamThreadFailure(Throwable e) {
        IncompatibleStateException incompatible = IncompatibleStateException.in(e);
        if (incompatible != null) {
            // The stored state cannot be read under these settings: a new thread would stop the same way.
            fatal = incompatible;
            LOG.error("stopping: {}", incompatible.getMessage());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        if (authenticationFailure(e) != null) {
            // Refused credentials or an untrusted certificate: a new thread would be refused the same way.
            fatal = e;
            LOG.error("stream thread refused by Kafka (authentication); stopping: {}", e.toString());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        long now = System.currentTimeMillis();
        synchronized (failures) {
            failures.addLast(now);
            while (!failures.isEmpty() && failures.peekFirst() < now - 600_000) {
                failures.removeFirst();
            }
            if (failures.size() > MAX_THREAD_REPLACEMENTS) {
                fatal = e;
                LOG.error("stream thread failed {} times in ten minutes; stopping: {}", failures.size(), e.toString(), e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
        }
        LOG.error("stream thread failed, replacing it: {}", e.toString(), e);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /**
     * The first {@link AuthenticationException} among {@code e}'s causes (Kafka refused this client's
     * credentials or TLS handshake), or null.
     */
    public static AuthenticationException authenticationFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthenticationException auth) {
                return auth;
            }
        }
        return null;
    }

    /** The error that stopped the streams (see the exception handler), or null. */
    public Throwable fatalError() {
        return fatal;
    }

    /** True when the streams stopped on an error and will not recover (see the exception handler). */
    public boolean failed() {
        return streams.state() == KafkaStreams.State.ERROR
            || (streams.state() == KafkaStreams.State.NOT_RUNNING && !closing);
    }

    /** Runs {@code action} once if the streams stop on an error. */
    public void onFailure(Runnable action) {
        Thread watcher = new Thread(() -> {
            try {
                while (!closing && !failed()) {
                    Thread.sleep(200);
                }
                if (!closing) {
                    action.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "engagement-failure-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /**
     * The Kafka Streams configuration: every pass-through Kafka property, over these defaults.
     * <ul>
     *   <li>{@code application.id=engagement};</li>
     *   <li>{@code commit.interval.ms=10000}: changed sketches reach RocksDB and the changelog at each
     *   commit (queries read open days from memory, so freshness does not depend on it); a longer
     *   interval writes less, and after a crash at most one interval of pings is replayed;</li>
     *   <li>{@code num.stream.threads}: the available processors, at most the pings topic's
     *   partitions (a thread beyond one task per partition would have nothing to do);</li>
     *   <li>{@code auto.offset.reset=earliest}: a new deployment counts the pings already on the topic;</li>
     *   <li>{@code rocksdb.config.setter}: {@link dev.engagement.store.BoundedRocksDbConfig}, one
     *   memory budget for every store;</li>
     *   <li>{@code application.server}: this instance's HTTP address ({@link #defaultApplicationServer}).</li>
     * </ul>
     */
    public static Properties streamsConfig(EngagementConfig config) {
        return streamsConfig(config, config.topicPartitions());
    }

    /** As {@link #streamsConfig(EngagementConfig)}, for a pings topic of the given partitions. */
    static Properties streamsConfig(EngagementConfig config, int pingPartitions) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, DEFAULT_COMMIT_INTERVAL_MS);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, defaultStreamThreads(pingPartitions));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class);
        // No global stores here, so this changes nothing but silences Kafka's warning on every start that
        // the (unused) global thread has no processing exception handler.
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.putAll(config.kafkaProperties());
        if (!props.containsKey(StreamsConfig.APPLICATION_SERVER_CONFIG)) {
            String server = defaultApplicationServer(config);
            if (server != null) {
                props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, server);
            }
        }
        return props;
    }

    /**
     * This instance's {@code group.instance.id} (Kafka Streams adds each stream thread's index): the
     * {@code engagement.instance-id} setting, or else an id created once and kept in the state
     * directory ({@value #INSTANCE_ID_FILE} in the application's directory), so that it is the same
     * on every restart of this instance and different on every other instance.
     *
     * <p>Why: with static membership, a member that restarts within {@code session.timeout.ms}
     * takes its partitions back at once, with no rebalance, where a new dynamic member waits for the
     * dead one's session to expire (45 s by default). Kafka 4.x's Streams rebalance protocol
     * ({@code group.protocol=streams}) does not support static membership in 4.3, so the classic
     * protocol stays.
     */
    static String instanceId(EngagementConfig config, Properties streamsProps) throws IOException {
        String configured = config.instanceId();
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        String applicationId = streamsProps.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        Path stateDir = Path.of(streamsProps.getProperty(StreamsConfig.STATE_DIR_CONFIG,
            System.getProperty("java.io.tmpdir") + "/kafka-streams"));
        Path file = stateDir.resolve(applicationId).resolve(INSTANCE_ID_FILE);
        if (Files.exists(file)) {
            String kept = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (!kept.isEmpty()) {
                return kept;
            }
        }
        Files.createDirectories(file.getParent());
        String created = applicationId + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path temporary = Files.createTempFile(file.getParent(), INSTANCE_ID_FILE, ".tmp");
        Files.writeString(temporary, created + "\n", StandardCharsets.UTF_8);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return created;
    }

    /** The default {@code num.stream.threads}: the available processors, at most one per partition. */
    public static int defaultStreamThreads(int pingPartitions) {
        return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), pingPartitions));
    }

    /**
     * {@code application.server} when not configured: this instance's HTTP address, so that other
     * instances can reach it for scatter-gather. With a wildcard bind, the host name.
     */
    static String defaultApplicationServer(EngagementConfig config) {
        int port = config.http().port();
        if (port == 0) {
            return null;
        }
        String bind = config.http().bind();
        if (bind.equals("0.0.0.0") || bind.equals("::")) {
            try {
                bind = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return bind + ":" + port;
    }

    /** The schema registry the configuration names: the embedded one, or a Confluent-compatible URL. */
    public static SchemaRegistry registryFor(EngagementConfig config) {
        if (EngagementConfig.EMBEDDED.equals(config.schemaRegistryUrl())) {
            return new EmbeddedSchemaRegistry();
        }
        return new ConfluentRegistryClient(config.schemaRegistryUrl(), config.schemaRegistryUserInfo());
    }

    /** Ensures the topics, then starts the streams (asynchronously: see {@link #awaitRunning}). */
    public static EngagementApp start(EngagementConfig config) throws Exception {
        return start(config, registryFor(config));
    }

    /** As {@link #start(EngagementConfig)}, with a given registry (the embedded default shares one). */
    public static EngagementApp start(EngagementConfig config, SchemaRegistry registry) throws Exception {
        config.summary().forEach(line -> LOG.info("config {}", line));
        Properties adminProps = config.kafkaProperties();
        adminProps.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        int partitions;
        try (Admin admin = Admin.create(adminProps)) {
            Topics.ensure(admin, config, config.topicPartitions(), config.topicReplication());
            partitions = admin.describeTopics(List.of(config.pingsTopic())).allTopicNames()
                .get(30, TimeUnit.SECONDS).get(config.pingsTopic()).partitions().size();
        }
        Admin watchAdmin = Admin.create(adminProps);
        EngagementApp app;
        try {
            app = new EngagementApp(config, registry, partitions, watchAdmin);
        } catch (IOException | RuntimeException e) {
            watchAdmin.close(Duration.ofSeconds(1));
            throw e;
        }
        app.streams.setStateListener((now, before) -> LOG.info("streams state {} -> {}", before, now));
        app.streams.start();
        return app;
    }

    /** Waits until the streams are RUNNING. */
    public void awaitRunning(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (!streams.state().isRunningOrRebalancing() && streams.state() != KafkaStreams.State.CREATED) {
                throw new IllegalStateException("streams stopped: " + streams.state());
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("streams not RUNNING after " + timeout + ": " + streams.state());
            }
            Thread.sleep(20);
        }
    }

    /** Partitions of the pings topic when the application started. */
    public int pingPartitions() {
        return pingPartitions;
    }

    /** Partitions of the pings topic now (they may be added while the application runs). */
    public PartitionWatch partitions() {
        return partitionWatch;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public IngestCounters counters() {
        return counters;
    }

    public EngagementConfig config() {
        return config;
    }

    public SchemaRegistry registry() {
        return registry;
    }

    /** Stops cleanly: commits, and leaves the consumer group so that others take over at once. */
    @Override
    public void close() {
        closing = true;
        streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
            .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        partitionWatch.close();
        watchAdmin.close(Duration.ofSeconds(1));
    }
}
