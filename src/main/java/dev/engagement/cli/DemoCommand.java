package dev.engagement.cli;

import dev.engagement.app.Directories;
import dev.engagement.app.EmbeddedKafka;
import dev.engagement.app.EngagementApp;
import dev.engagement.app.EngagementService;
import dev.engagement.app.KnownNoise;
import dev.engagement.config.ConfigException;
import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.config.Watch;
import dev.engagement.generate.JsonLinesPings;
import dev.engagement.generate.Population;
import dev.engagement.generate.ReleaseTrains;
import dev.engagement.ping.Days;
import dev.engagement.registry.EmbeddedSchemaRegistry;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The embedded default: an in-process KRaft broker, the embedded schema registry, the streams app
 * and the HTTP API on localhost, fed by the synthetic population or a JSON Lines file.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run everything in this JVM: Kafka broker, schema registry, Engagement and its HTTP API, with sample pings.")
final class DemoCommand implements Callable<Integer> {

    /** How often a replay records its progress (after the broker acknowledged every line before). */
    static final int PROGRESS_EVERY_LINES = 10_000;

    /** The demo's HTTP port unless {@code --http-port} or {@code engagement.http.port} says otherwise. */
    static final int DEFAULT_HTTP_PORT = 8080;

    /**
     * Settings the demo keeps whatever the user's settings say (matched as a key or a key prefix,
     * Kafka client prefixes such as {@code producer.} removed): it runs its own broker (plaintext,
     * no authentication), its own schema registry, and keeps its state under {@code --data-dir}.
     */
    static final List<String> FIXED = List.of("bootstrap.servers", "state.dir", "engagement.schema-registry.",
        "security.protocol", "sasl.", "ssl.");

    @Option(names = "--http-port", description = "HTTP port on 127.0.0.1 (default " + DEFAULT_HTTP_PORT
        + ", or engagement.http.port).")
    Integer httpPort;

    @Option(names = "--config", paramLabel = "FILE", description = "A .properties file, as run takes, applied on top of"
        + " the demo's defaults; ENGAGEMENT_* environment variables override it, as in run. The demo keeps its own"
        + " bootstrap.servers, state.dir (see --data-dir), engagement.schema-registry.* and security settings"
        + " (security.protocol, sasl.*, ssl.*): those keys are ignored, with a note.")
    Path config;

    @Option(names = "--property", paramLabel = "KEY=VALUE", description = "One setting (repeatable), over --config and"
        + " the environment, e.g. --property engagement.grace=3d --property commit.interval.ms=5000.")
    List<String> properties = new ArrayList<>();

    @Option(names = "--pings", description = "Replay this JSON Lines file instead of generating pings.")
    Path pings;

    @Option(names = "--data-dir", description = "Keep the broker's and the stores' data here (default: a temporary directory).")
    Path dataDir;

    @Option(names = "--dimensions", description = "Segment dimensions (default: " + EngagementConfig.DEFAULT_DIMENSIONS + ").")
    String dimensions;

    @Option(names = "--clients", defaultValue = "20000", description = "Synthetic clients (default ${DEFAULT-VALUE}).")
    int clients;

    /** 90: three releases of a 4-week train start inside it, so the Releases view has three whole lines. */
    @Option(names = "--days", defaultValue = "90", description = "Days of history to backfill (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the synthetic population.")
    long seed;

    @Option(names = "--release-cycle-days", defaultValue = "28",
        description = "Days between releases of the synthetic release trains (default ${DEFAULT-VALUE}).")
    int releaseCycleDays;

    @Option(names = "--degraded-release", defaultValue = ReleaseTrains.NEWEST,
        description = "Make one release less engaging for a share of its clients, the story the Releases view finds:"
            + " newest (the newest release at least a week old today), a version such as 136.0, or none to turn it off"
            + " (default ${DEFAULT-VALUE}).")
    String degradedRelease;

    @Option(names = "--degraded-share", defaultValue = "0.5",
        description = "Share of the degraded release's clients it affects (default ${DEFAULT-VALUE}).")
    double degradedShare;

    @Option(names = "--watch", paramLabel = "NAME=FILTER", description = "A watched segment whose DAU, MAU and ER are"
        + " gauges on /metrics, the filter in /v1/engagement's query-string form (e.g. --watch 'release-linux=channel"
        + "=release&os=Linux'); repeatable. Same as engagement.watch.NAME=FILTER in run's config.")
    List<String> watches = new ArrayList<>();

    /**
     * The {@code --watch} options as {@code engagement.watch.*} settings, checked (with the dimensions)
     * before anything starts.
     *
     * @throws ConfigException naming the option or the setting at fault
     */
    Map<String, String> watchSettings() {
        Map<String, String> settings = new HashMap<>();
        for (String watch : watches) {
            int eq = watch.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--watch '" + watch + "': expected NAME=FILTER, e.g. release=channel=release");
            }
            settings.put(Watch.PREFIX + watch.substring(0, eq), watch.substring(eq + 1));
        }
        Map<String, String> check = new HashMap<>(settings);
        if (dimensions != null) {
            check.put("engagement.dimensions", dimensions);
        }
        EngagementConfig.defaults(check);
        return settings;
    }

    /**
     * The demo's settings: its defaults, then the user's ({@code --config}, the environment,
     * {@code --property}) but for the {@link #FIXED} keys, then the demo's own flags
     * ({@code --http-port}, {@code --dimensions}, {@code --watch}), then the fixed ones.
     *
     * @param ignored receives each user key that was ignored because the demo fixes it
     * @throws ConfigException naming the key at fault (by {@link #check})
     */
    Map<String, String> settings(String bootstrapServers, Path dir, Map<String, String> env, Consumer<String> ignored) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("application.id", "engagement-demo");
        props.put("commit.interval.ms", "2000");
        props.put("engagement.http.port", Integer.toString(DEFAULT_HTTP_PORT));
        ConfigFiles.load(config, env, properties).forEach((key, value) -> {
            String k = key.toString();
            if (fixed(k)) {
                ignored.accept(k);
            } else {
                props.put(k, value.toString());
            }
        });
        if (httpPort != null) {
            props.put("engagement.http.port", Integer.toString(httpPort));
        }
        if (dimensions != null) {
            props.put("engagement.dimensions", dimensions);
        }
        props.putAll(watchSettings());
        props.put("bootstrap.servers", bootstrapServers);
        props.put("state.dir", dir.resolve("state").toString());
        return props;
    }

    /** Whether the demo keeps this key whatever the user says (see {@link #FIXED}). */
    static boolean fixed(String key) {
        String bare = ConfigFiles.bareKafkaKey(key);
        for (String f : FIXED) {
            if (bare.equals(f) || f.endsWith(".") && bare.startsWith(f)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses the settings as {@code run} does, and checks Kafka's own values (types, ranges) the way
     * Kafka Streams will, so that a bad key or value fails before the broker starts.
     *
     * @throws ConfigException naming the key at fault
     */
    static EngagementConfig check(Map<String, String> settings) {
        EngagementConfig parsed = EngagementConfig.defaults(settings);
        try {
            new StreamsConfig(EngagementApp.streamsConfig(parsed));
        } catch (KafkaException e) {
            throw new ConfigException(e.getMessage());
        }
        return parsed;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = System.getenv();
        // Checked with a placeholder broker address before anything starts.
        check(settings("localhost:9092", Path.of("."), env,
            key -> System.err.println("demo: ignoring " + key + ": the demo runs its own broker, schema registry and"
                + " data directory (use run to connect to yours)")));
        ReleaseTrains trains = new ReleaseTrains(releaseCycleDays, degradedRelease, degradedShare); // fails before starting
        boolean keep = dataDir != null;
        Path dir = keep ? dataDir : Files.createTempDirectory("engagement-demo");
        Files.createDirectories(dir);
        if (!keep) {
            KnownNoise.throwaway(dir); // deleted on exit: the OS cleaning the temp dir is no concern
        }
        boolean resumed = Files.exists(dir.resolve("kafka").resolve("cluster-id"));
        System.out.println((resumed ? "Resuming the in-process Kafka broker in " : "Starting an in-process Kafka broker in ")
            + dir + " ...");
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), keep);
        EngagementConfig config = check(settings(kafka.bootstrapServers(), dir, env, key -> { }));
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        EngagementService service;
        try {
            service = EngagementService.start(config, registry);
        } catch (Exception e) {
            kafka.close();
            throw e;
        }
        PingProducer producer = new PingProducer(config.kafkaProperties(), registry, config.pingsTopic());
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        Map<String, Object> feed = new LinkedHashMap<>();
        service.addStatus("feed", () -> {
            synchronized (feed) {
                Map<String, Object> copy = new LinkedHashMap<>(feed);
                copy.put("produced", producer.sent());
                return copy;
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.set(true);
            System.out.println("Shutting down ...");
            try {
                producer.close();
                service.close();
                kafka.close();
                if (!keep) {
                    Directories.delete(dir); // the temporary directory: nothing to resume
                }
            } catch (Exception e) {
                System.err.println("engagement: shutdown: " + e.getMessage());
            }
            stopped.countDown();
        }, "engagement-shutdown"));

        AtomicBoolean failed = new AtomicBoolean();
        service.app().onFailure(() -> {
            failed.set(true);
            stop.set(true);
        });
        String url = "http://127.0.0.1:" + service.httpPort();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        System.out.println("Engagement is up: " + url);
        System.out.println("  try: curl '" + url + "/v1/engagement?from=" + today.minusDays(6) + "&to=" + today
            + "&metrics=dau,mau,er&groupBy=channel'");
        System.out.println("  status: " + url + "/v1/status   (Ctrl-C to stop)");

        String source = pings != null ? "file:" + pings.toAbsolutePath().normalize()
            : "generator clients=" + clients + " days=" + days + " seed=" + seed + trainsSource(trains);
        FeedProgress recorded = keep ? FeedProgress.read(dir) : null;
        if (resumed && (recorded == null || !recorded.source().equals(source))) {
            // A data directory of an earlier version (no recorded progress), or fed by other flags.
            System.out.println("Resumed: the pings already in " + dir + " are kept"
                + (recorded == null ? "" : " (they came from " + recorded.source() + ")")
                + "; nothing more is replayed or backfilled: use another --data-dir for another feed.");
            synchronized (feed) {
                feed.put("source", "resumed from " + dir);
                feed.put("done", true);
            }
            if (pings == null) {
                live(new Population(clients, today.minusDays(days - 1L), days, seed, trains), producer, stop,
                    System.currentTimeMillis());
            }
        } else if (pings != null) {
            replay(dir, keep, recorded == null ? new FeedProgress(source, 0, false, 0) : recorded, producer, feed);
        } else {
            FeedProgress progress = recorded != null ? recorded
                : new FeedProgress(source, 0, false, System.currentTimeMillis());
            generate(dir, keep, progress, trains, producer, feed, stop);
        }
        while (!failed.get() && !stopped.await(200, TimeUnit.MILLISECONDS)) {
            // until Ctrl-C, or the streams stop on an error
        }
        if (failed.get()) {
            System.err.println("engagement: " + RunCommand.stoppedOnError(service.app().fatalError(), config));
            return 1;
        }
        return 0;
    }

    /**
     * Replays {@link #pings} from where {@code progress} says it stopped (the start, the first time),
     * recording the progress every {@value #PROGRESS_EVERY_LINES} lines once the broker acknowledged them.
     */
    private void replay(Path dir, boolean keep, FeedProgress progress, PingProducer producer, Map<String, Object> feed)
        throws IOException {
        if (progress.done()) {
            System.out.println("Resumed: the replay of " + pings + " had finished; the pings already in " + dir
                + " are kept.");
            synchronized (feed) {
                feed.put("source", pings.toString());
                feed.put("done", true);
            }
            return;
        }
        if (progress.position() > 0) {
            System.out.println("Resuming the replay of " + pings + " after line " + progress.position()
                + " (the lines before were acknowledged before the interruption).");
        }
        synchronized (feed) {
            feed.put("source", pings.toString());
            feed.put("resumedAfterLine", progress.position());
            feed.put("done", false);
        }
        FeedProgress[] at = {progress};
        JsonLinesPings.Result result = JsonLinesPings.read(pings, progress.position(), producer::send,
            (line, reason) -> System.err.println(pings + ":" + line + ": skipped: " + reason), line -> {
                if (keep && line % PROGRESS_EVERY_LINES == 0) {
                    producer.flush(); // every line so far acknowledged: safe to record
                    at[0] = at[0].at(line);
                    at[0].write(dir);
                }
            });
        producer.flush();
        if (keep) {
            at[0].at(result.lines()).finished().write(dir);
        }
        synchronized (feed) {
            feed.put("lines", result.lines());
            feed.put("badLines", result.badLines());
            feed.put("done", true);
        }
        System.out.println("Replayed " + result.pings() + " pings (" + result.badLines() + " bad lines skipped)"
            + (progress.position() > 0 ? " after line " + progress.position() : "")
            + "; processed when /v1/status shows pings.total = feed.produced.");
    }

    /**
     * Backfills {@link #days} days (continuing an interrupted backfill after its last recorded day,
     * with the same clock, so the same pings), then keeps producing live pings every second.
     */
    private void generate(Path dir, boolean keep, FeedProgress progress, ReleaseTrains trains, PingProducer producer,
                          Map<String, Object> feed, AtomicBoolean stop) throws InterruptedException {
        long now = progress.now();
        LocalDate today = Days.toDate(Days.ofMillis(now));
        Population population = new Population(clients, today.minusDays(days - 1L), days, seed, trains);
        String degraded = trains.degradedVersion(today);
        String story = "release " + trains.release(today) + (degraded == null ? "" : "; " + degraded
            + " is less engaging for " + Math.round(trains.degradedShare() * 100) + " % of its clients");
        System.out.println("Synthetic release trains: " + story + " (--degraded-release none turns that off).");
        synchronized (feed) {
            feed.put("source", "synthetic population of " + clients + " clients, seed " + seed);
            feed.put("releases", story);
            feed.put("backfillDone", progress.done());
        }
        if (progress.done()) {
            System.out.println("Resumed: the backfill had finished; the pings already in " + dir
                + " are kept; now producing live pings.");
            live(population, producer, stop, System.currentTimeMillis());
            return;
        }
        if (progress.position() > 0) {
            System.out.println("Resuming the backfill after day " + progress.position() + " of " + days
                + " (the days before were acknowledged before the interruption).");
        }
        Consumer<Ping> send = withMalformedTrickle(producer);
        FeedProgress at = progress;
        for (int d = days - 1 - (int) progress.position(); d >= 0 && !stop.get(); d--) {
            population.day(today.minusDays(d), Long.MIN_VALUE, now, send);
            producer.flush(); // the day acknowledged: safe to record
            at = at.at(days - d);
            if (keep) {
                at.write(dir);
            }
        }
        if (stop.get()) {
            return;
        }
        if (keep) {
            at.finished().write(dir);
        }
        synchronized (feed) {
            feed.put("backfillDone", true);
        }
        System.out.println("Backfilled " + days + " days (" + producer.sent() + " records); now producing live pings.");
        live(population, producer, stop, now);
    }

    /** The release-train flags in the recorded feed source, when they differ from the defaults. */
    private static String trainsSource(ReleaseTrains trains) {
        return trains.cycleDays() == ReleaseTrains.DEFAULT_CYCLE_DAYS && trains.degradedRelease().equals(ReleaseTrains.NEWEST)
            && trains.degradedShare() == ReleaseTrains.DEFAULT_DEGRADED_SHARE ? ""
            : " cycle=" + trains.cycleDays() + " degraded=" + trains.degradedRelease() + " share=" + trains.degradedShare();
    }

    /** Sends pings, and one malformed record (for the dead-letter path) every so many. */
    private static Consumer<Ping> withMalformedTrickle(PingProducer producer) {
        long[] count = {0};
        return ping -> {
            producer.send(ping);
            if (++count[0] % Population.malformedEvery() == 0) {
                producer.sendRaw(new byte[] {0, 0, 0, 0, 1, (byte) 0xff});
            }
        };
    }

    /** Produces the population's pings as time passes, every second, until stopped. */
    private static void live(Population population, PingProducer producer, AtomicBoolean stop, long from)
        throws InterruptedException {
        live(population, withMalformedTrickle(producer), stop, from);
    }

    /** Sends the population's pings since {@code from} as time passes, every second, until stopped (also generate --live). */
    static void live(Population population, Consumer<Ping> send, AtomicBoolean stop, long from) throws InterruptedException {
        while (!stop.get()) {
            Thread.sleep(Duration.ofSeconds(1).toMillis());
            long until = System.currentTimeMillis();
            LocalDate day = Days.toDate(Days.ofMillis(from));
            population.day(day, from, until, send);
            if (Days.ofMillis(until) != Days.ofMillis(from)) {
                population.day(Days.toDate(Days.ofMillis(until)), from, until, send);
            }
            from = until;
        }
    }
}
