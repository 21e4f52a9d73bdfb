package dev.engagement.cli;

import dev.engagement.app.Directories;
import dev.engagement.app.EmbeddedKafka;
import dev.engagement.app.EngagementService;
import dev.engagement.config.EngagementConfig;
import dev.engagement.generate.JsonLinesPings;
import dev.engagement.generate.Population;
import dev.engagement.ping.Days;
import dev.engagement.registry.EmbeddedSchemaRegistry;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The embedded default: an in-process KRaft broker, the embedded schema registry, the streams app
 * and the HTTP API on localhost, fed by the synthetic population or a JSON Lines file.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run everything in this JVM: Kafka broker, schema registry, Engagement and its HTTP API, with sample pings.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP port on 127.0.0.1 (default ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--pings", description = "Replay this JSON Lines file instead of generating pings.")
    Path pings;

    @Option(names = "--data-dir", description = "Keep the broker's and the stores' data here (default: a temporary directory).")
    Path dataDir;

    @Option(names = "--dimensions", description = "Segment dimensions (default: " + EngagementConfig.DEFAULT_DIMENSIONS + ").")
    String dimensions;

    @Option(names = "--clients", defaultValue = "20000", description = "Synthetic clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--days", defaultValue = "60", description = "Days of history to backfill (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the synthetic population.")
    long seed;

    @Override
    public Integer call() throws Exception {
        boolean keep = dataDir != null;
        Path dir = keep ? dataDir : Files.createTempDirectory("engagement-demo");
        Files.createDirectories(dir);
        boolean resumed = Files.exists(dir.resolve("kafka").resolve("cluster-id"));
        System.out.println((resumed ? "Resuming the in-process Kafka broker in " : "Starting an in-process Kafka broker in ")
            + dir + " ...");
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), keep);
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("application.id", "engagement-demo");
        props.put("state.dir", dir.resolve("state").toString());
        props.put("commit.interval.ms", "2000");
        props.put("engagement.http.port", Integer.toString(httpPort));
        if (dimensions != null) {
            props.put("engagement.dimensions", dimensions);
        }
        EngagementConfig config = EngagementConfig.defaults(props);
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

        String url = "http://127.0.0.1:" + service.httpPort();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        System.out.println("Engagement is up: " + url);
        System.out.println("  try: curl '" + url + "/v1/engagement?from=" + today.minusDays(6) + "&to=" + today
            + "&metrics=dau,mau,er&groupBy=channel'");
        System.out.println("  status: " + url + "/v1/status   (Ctrl-C to stop)");

        if (resumed) {
            System.out.println("Resumed: the pings already in " + dir + " are kept; no new backfill or replay.");
            synchronized (feed) {
                feed.put("source", "resumed from " + dir);
                feed.put("done", true);
            }
            if (pings == null) {
                live(new Population(clients, today.minusDays(days - 1L), days, seed), producer, stop,
                    System.currentTimeMillis());
            }
        } else if (pings != null) {
            synchronized (feed) {
                feed.put("source", pings.toString());
                feed.put("done", false);
            }
            JsonLinesPings.Result result = JsonLinesPings.read(pings, producer::send,
                (line, reason) -> System.err.println(pings + ":" + line + ": skipped: " + reason));
            producer.flush();
            synchronized (feed) {
                feed.put("lines", result.lines());
                feed.put("badLines", result.badLines());
                feed.put("done", true);
            }
            System.out.println("Replayed " + result.pings() + " pings (" + result.badLines() + " bad lines skipped);"
                + " processed when /v1/status shows pings.total = feed.produced.");
        } else {
            generate(producer, feed, stop, today);
        }
        stopped.await();
        return 0;
    }

    /** Backfills {@link #days} days, then keeps producing live pings every second. */
    private void generate(PingProducer producer, Map<String, Object> feed, AtomicBoolean stop, LocalDate today)
        throws InterruptedException {
        Population population = new Population(clients, today.minusDays(days - 1L), days, seed);
        synchronized (feed) {
            feed.put("source", "synthetic population of " + clients + " clients, seed " + seed);
            feed.put("backfillDone", false);
        }
        java.util.function.Consumer<dev.engagement.avro.Ping> send = withMalformedTrickle(producer);
        long now = System.currentTimeMillis();
        for (int d = days - 1; d >= 0 && !stop.get(); d--) {
            population.day(today.minusDays(d), Long.MIN_VALUE, now, send);
        }
        producer.flush();
        synchronized (feed) {
            feed.put("backfillDone", true);
        }
        System.out.println("Backfilled " + days + " days (" + producer.sent() + " records); now producing live pings.");
        live(population, producer, stop, now);
    }

    /** Sends pings, and one malformed record (for the dead-letter path) every so many. */
    private static java.util.function.Consumer<dev.engagement.avro.Ping> withMalformedTrickle(PingProducer producer) {
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
        java.util.function.Consumer<dev.engagement.avro.Ping> send = withMalformedTrickle(producer);
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
