package dev.engagement.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code engagement load}: the query mix of issue 21 from N closed-loop clients against one or more
 * running instances, for figures comparable run to run: per query type, answers/s, p50, p99, 503s
 * and other errors, and bytes on the wire (with or without gzip).
 */
@Command(name = "load", mixinStandardHelpOptions = true,
    description = "Sends a mixed query load to running instances and prints answers/s, p50 and p99 per query type.")
final class LoadCommand implements Callable<Integer> {

    @Option(names = "--url", split = ",", defaultValue = "http://localhost:8080",
        description = "Instances, comma-separated; client i asks instance i mod n (default ${DEFAULT-VALUE}).")
    List<String> urls;

    @Option(names = "--clients", defaultValue = "64", description = "Concurrent clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--seconds", defaultValue = "30", description = "How long to send (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "5", description = "Sent first, not counted (default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--gzip", description = "Send Accept-Encoding: gzip (the server gzips answers of 4 KB or more).")
    boolean gzip;

    @Option(names = "--to", description = "The last day the queries cover (default: yesterday, UTC).")
    LocalDate to;

    @Option(names = "--mix", defaultValue = "er28-filter=6,groupby59=2,releases=1,dimensions=1", split = ",",
        description = "Query types and weights (default ${DEFAULT-VALUE}); a type of weight 0 is left out.")
    Map<String, Integer> mix;

    @Option(names = "--token", defaultValue = "${env:ENGAGEMENT_HTTP_TOKEN}",
        description = "Bearer token of the instances (default: $ENGAGEMENT_HTTP_TOKEN).")
    String token;

    /** The mix, ending on {@code last}. */
    static Map<String, String> queries(LocalDate last) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("er28-filter", "/v1/engagement?metrics=er&from=" + last.minusDays(27) + "&to=" + last + "&channel=release");
        q.put("groupby59", "/v1/engagement?metrics=dau,mau,er&from=" + last.minusDays(58) + "&to=" + last
            + "&groupBy=os,channel");
        q.put("releases", "/v1/releases?metrics=er");
        q.put("dimensions", "/v1/dimensions");
        return q;
    }

    @Override
    public Integer call() throws Exception {
        LocalDate last = to != null ? to : LocalDate.now(ZoneOffset.UTC).minusDays(1);
        Map<String, String> all = queries(last);
        List<String> names = new ArrayList<>();
        List<Integer> weights = new ArrayList<>();
        for (Map.Entry<String, Integer> e : mix.entrySet()) {
            if (!all.containsKey(e.getKey())) {
                System.err.println("engagement: --mix: unknown query type '" + e.getKey() + "' (known: " + all.keySet() + ")");
                return 2;
            }
            if (e.getValue() > 0) {
                names.add(e.getKey());
                weights.add(e.getValue());
            }
        }
        int totalWeight = weights.stream().mapToInt(Integer::intValue).sum();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, Figures> figures = new LinkedHashMap<>();
        names.forEach(n -> figures.put(n, new Figures()));
        long start = System.nanoTime();
        long countFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long end = countFrom + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            int client = c;
            pool.execute(() -> {
                Random random = new Random(client);
                String base = urls.get(client % urls.size());
                while (System.nanoTime() < end) {
                    int pick = random.nextInt(totalWeight);
                    int i = 0;
                    while (pick >= weights.get(i)) {
                        pick -= weights.get(i++);
                    }
                    String name = names.get(i);
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + all.get(name)))
                        .timeout(Duration.ofSeconds(60));
                    if (gzip) {
                        request.header("Accept-Encoding", "gzip");
                    }
                    if (token != null && !token.isEmpty()) {
                        request.header("Authorization", "Bearer " + token);
                    }
                    long sent = System.nanoTime();
                    int status;
                    long bytes;
                    try {
                        // Bytes as they came over the wire (gzipped or not); not decompressed: the
                        // client's cost of reading is not what is measured.
                        HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                        status = r.statusCode();
                        bytes = r.body().length;
                    } catch (IOException e) {
                        status = -1;
                        bytes = 0;
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (sent >= countFrom && System.nanoTime() <= end) {
                        figures.get(name).add(status, (System.nanoTime() - sent) / 1000, bytes);
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(seconds + warmupSeconds + 120L, TimeUnit.SECONDS);
        System.out.printf("load: %d clients, %d s (after %d s of warm-up), %s, gzip %s, days to %s%n", clients, seconds,
            warmupSeconds, urls, gzip ? "on" : "off", last);
        System.out.printf("%-12s %8s %9s %9s %9s %6s %6s %10s%n", "query", "answers", "per s", "p50 ms", "p99 ms", "503",
            "other", "KB/answer");
        long answers = 0;
        for (Map.Entry<String, Figures> e : figures.entrySet()) {
            Figures f = e.getValue();
            List<Long> l = new ArrayList<>(f.micros);
            answers += l.size();
            System.out.printf("%-12s %8d %9.1f %9.1f %9.1f %6d %6d %10.1f%n", e.getKey(), l.size(), l.size() / (double) seconds,
                percentile(l, 50) / 1000.0, percentile(l, 99) / 1000.0, f.busy.get(), f.errors.get(),
                l.isEmpty() ? 0 : f.bytes.get() / 1024.0 / l.size());
        }
        System.out.printf("%-12s %8d %9.1f%n", "all", answers, answers / (double) seconds);
        return 0;
    }

    static long percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }

    /** One query type's answers: latency of each 200 in µs, 503s, other outcomes, bytes. */
    private static final class Figures {
        final ConcurrentLinkedQueue<Long> micros = new ConcurrentLinkedQueue<>();
        final AtomicLong busy = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();

        void add(int status, long micros, long bytes) {
            if (status == 200) {
                this.micros.add(micros);
                this.bytes.addAndGet(bytes);
            } else if (status == 503) {
                busy.incrementAndGet();
            } else {
                errors.incrementAndGet();
            }
        }
    }
}
