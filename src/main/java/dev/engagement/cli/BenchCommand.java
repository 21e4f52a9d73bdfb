package dev.engagement.cli;

import dev.engagement.bench.IngestBench;
import dev.engagement.bench.IngestBench.Figure;
import dev.engagement.bench.IngestBench.Freshness;
import dev.engagement.bench.IngestBench.Ingest;
import dev.engagement.bench.IngestBench.Kind;
import dev.engagement.bench.RunJarBench;
import dev.engagement.config.Durations;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * Measures ingest against same-run references on an in-process broker, then freshness, queries,
 * state and accuracy. Prints a table, ratio lines and the figures as JSON (also to {@code --out}).
 *
 * <p>Every Kafka Streams ingest run (floor, Engagement, naive baseline) uses the same
 * {@code commit.interval.ms} (the product's default, or {@code --commit-interval}) and the same stream
 * threads ({@code --threads}, or both one and the product's default). Beside each rate, the process
 * CPU seconds per million pings over the same interval (the broker runs in this process, so its CPU
 * is in every figure alike). The freshness figure is the p50 / p99 time from a marked ping's
 * acknowledgement to its client being counted by a query, with Engagement as the product runs it, at
 * half its measured 1-thread ingest rate. The ratio lines start {@code Engagement ingest /} (CI
 * greps for them).
 *
 * <p>With {@code --run-jar JAR}, instead: the product as users start it ({@link RunJarBench}), a broker
 * and the app each in a fresh JVM of their own, printed as a table and JSON ({@code runJar}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmark ingest on an in-process broker: a bare consumer, a no-op Kafka Streams app, Engagement,"
        + " a naive DSL aggregate and the in-memory fold, in one run, each with its CPU per ping; then freshness"
        + " under load, queries, state and accuracy. Prints a table and JSON.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--pings", defaultValue = "5000000", description = "Pings produced (default ${DEFAULT-VALUE}).")
    long pings;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--clients", defaultValue = "1000000", description = "Distinct clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--segments", defaultValue = "20000", description = "Segments, Zipf-sized (default ${DEFAULT-VALUE}).")
    int segments;

    @Option(names = "--repetitions", defaultValue = "3", description = "Repetitions per figure (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--naive-pings", defaultValue = "2000000",
        description = "Pings the naive baseline is timed over, at most --pings (default ${DEFAULT-VALUE}): it is the"
            + " slowest run, and its rate is steady once every segment-day exists.")
    long naivePings;

    @Option(names = "--flush-interval",
        description = "Deprecated, kept so that scripts keep working: passed to Engagement's runs as"
            + " engagement.flush-interval, which the product now ignores (the store is written at each commit).")
    String flushInterval;

    @Option(names = "--downstream-interval",
        description = "Engagement's engagement.downstream-interval for its runs (default: the product default).")
    String downstreamInterval;

    @Option(names = "--commit-interval",
        description = "commit.interval.ms of every Kafka Streams ingest run (floor, Engagement, naive), as a duration"
            + " such as 10s or 500ms (default: the product default). The freshness run keeps the product default.")
    String commitInterval;

    @Option(names = "--threads",
        description = "Stream threads of every Kafka Streams ingest run (default: each run once with 1 thread and"
            + " once with the product default, or once when that is 1). The fold core is one thread.")
    Integer threads;

    @Option(names = "--freshness-seconds", defaultValue = "20",
        description = "Length of the freshness run's marked window, after a 2 s warm-up (default ${DEFAULT-VALUE}).")
    int freshnessSeconds;

    @Option(names = "--query-segments", defaultValue = "20000",
        description = "Active segments a day in the query store (default ${DEFAULT-VALUE}).")
    int querySegments;

    @Option(names = "--query-days", defaultValue = "" + IngestBench.DEFAULT_QUERY_DAYS, description = "Days in the query store (default ${DEFAULT-VALUE}).")
    int queryDays;

    @Option(names = "--accuracy-segments", defaultValue = "200",
        description = "Random segments for the accuracy figures (default ${DEFAULT-VALUE}).")
    int accuracySegments;

    @Option(names = "--out", description = "Also write the figures as JSON here.")
    Path out;

    @Option(names = "--run-jar", paramLabel = "JAR",
        description = "Instead of the in-process figures: the product as users start it. Pre-produces the pings to a"
            + " broker in its own JVM (kafka.Kafka from JAR), then runs `java -Xmx<--heap> -jar JAR run` in a fresh JVM"
            + " with the product's defaults, and reports pings/s, CPU by thread group, the broker's CPU, topic bytes"
            + " per million pings and the longest commit (see BENCHMARKS.md).")
    Path runJar;

    @Option(names = "--heap", defaultValue = "2g", description = "With --run-jar: the app's -Xmx (default ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--broker-heap", defaultValue = "1g",
        description = "With --run-jar: the broker's -Xmx (default ${DEFAULT-VALUE}).")
    String brokerHeap;

    @Option(names = "--rounds", defaultValue = "1",
        description = "With --run-jar: rounds, each with a fresh broker, pings and app (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--app-jvm-option", paramLabel = "OPTION",
        description = "With --run-jar: one more option for the app's JVM (repeatable), such as"
            + " -XX:StartFlightRecording=filename=app.jfr,settings=profile.")
    List<String> appJvmOptions = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (runJar != null) {
            return runJar();
        }
        Duration commit = commitInterval == null ? null : Durations.parse("--commit-interval", commitInterval);
        if (commit != null && commit.toMillis() < 1) {
            throw new IllegalArgumentException("--commit-interval must be at least 1ms, got " + commitInterval);
        }
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        if (freshnessSeconds < 1) {
            throw new IllegalArgumentException("--freshness-seconds must be at least 1, got " + freshnessSeconds);
        }
        IngestBench.Settings settings = new IngestBench.Settings(pings, partitions, clients, segments, repetitions,
            Math.min(naivePings, pings), flushInterval, downstreamInterval, commit, threads == null ? 0 : threads,
            freshnessSeconds, querySegments, queryDays, accuracySegments);
        IngestBench.Report report;
        try (IngestBench bench = new IngestBench(settings)) {
            report = bench.runAll(System.err);
        }
        printTable(report);
        String text = json(report);
        System.out.println(text);
        if (out != null) {
            Files.writeString(out, text);
        }
        return 0;
    }

    private void printTable(IngestBench.Report report) {
        System.out.printf("%nKafka Streams ingest runs: commit.interval.ms=%d (%s), stream threads %s (product default"
                + " %d); the broker runs in this process, so its CPU is in every CPU figure%n",
            report.commitIntervalMs(), commitInterval == null ? "product default" : "--commit-interval " + commitInterval,
            String.join(" and ", report.threadCounts().stream().map(String::valueOf).toList()), report.productThreads());
        System.out.printf("%n%-62s %35s   %23s%n", "", "------------- pings/s -------------",
            "--- " + IngestBench.CPU_UNIT + " ---");
        System.out.printf("%-62s %11s %11s %11s   %7s %7s %7s%n", "ingest (" + repetitions + " repetitions)", "median",
            "min", "max", "median", "min", "max");
        for (Ingest i : report.ingest()) {
            System.out.printf("%-62s %,11.0f %,11.0f %,11.0f   %7.2f %7.2f %7.2f%n", i.name(), i.rate().median(),
                i.rate().min(), i.rate().max(), i.cpu().median(), i.cpu().min(), i.cpu().max());
        }

        Freshness f = report.freshness();
        System.out.printf("%nfreshness: Engagement as the product runs it (commit.interval.ms=%d, %s), %,.0f pings/s"
                + " offered (half the Engagement median), %,.0f produced, for %d s; %d marked pings%n",
            f.commitIntervalMs(), IngestBench.threadsLabel(f.threads()), f.offeredRate(), f.producedRate(), f.seconds(), f.markers());
        System.out.printf("%-62s %11s %11s %11s %11s%n", "", "p50", "p95", "p99", "max");
        System.out.printf("%-62s %,11.1f %,11.1f %,11.1f %,11.1f  ms%n", f.figure().name(), f.p50Ms(), f.p95Ms(),
            f.p99Ms(), f.maxMs());

        System.out.printf("%n%-62s %11s %11s %11s%n", "queries, state, accuracy", "value / p50", "p95", "p99");
        for (Figure q : report.queriesAndState()) {
            if (q.unit().startsWith("ms")) {
                System.out.printf("%-62s %,11.1f %,11.1f %,11.1f  ms%n", q.name(), q.median(), q.min(), q.max());
            } else {
                System.out.printf("%-62s %,11.1f %11s %11s  %s%n", q.name(), q.median(), "", "", q.unit());
            }
        }

        double bare = report.ingest(Kind.BARE_CONSUMER).rate().median();
        System.out.println();
        for (int t : report.threadCounts()) {
            String label = IngestBench.threadsLabel(t);
            String versusBare = t == 1 ? label : label + " vs a 1-thread consumer";
            double floor = report.ingest(Kind.STREAMS_FLOOR, t).rate().median();
            double ingest = report.ingest(Kind.ENGAGEMENT, t).rate().median();
            double naive = report.ingest(Kind.NAIVE, t).rate().median();
            double cpuRatio = report.ingest(Kind.ENGAGEMENT, t).cpu().median()
                / report.ingest(Kind.STREAMS_FLOOR, t).cpu().median();
            System.out.printf("Engagement ingest / Streams floor: %5.1f %%   (%s; target >= 75 %%)%n", 100 * ingest / floor,
                label);
            System.out.printf("Engagement ingest / bare consumer: %5.1f %%   (%s)%n", 100 * ingest / bare, versusBare);
            System.out.printf("Engagement ingest / naive baseline: %5.2f x   (%s; target >= 5 x)%n", ingest / naive,
                label);
            System.out.printf("Streams floor / bare consumer:      %5.1f %%   (%s)%n", 100 * floor / bare, versusBare);
            System.out.printf("Engagement CPU per ping / Streams floor CPU per ping: %5.2f x   (%s; target <= 1.3 x)%n",
                cpuRatio, label);
        }
        System.out.printf("Freshness p99: %,.0f ms, p50: %,.0f ms   (target p99 <= 1000 ms)%n", f.p99Ms(), f.p50Ms());
    }

    private String json(IngestBench.Report report) throws Exception {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        ObjectNode s = root.putObject("settings").put("pings", pings).put("partitions", partitions)
            .put("clients", clients).put("segments", segments).put("repetitions", repetitions)
            .put("naivePings", Math.min(naivePings, pings))
            .put("flushInterval", flushInterval)
            .put("downstreamInterval", downstreamInterval)
            .put("commitIntervalMs", report.commitIntervalMs())
            .put("productCommitIntervalMs", report.productCommitIntervalMs())
            .put("productThreads", report.productThreads())
            .put("freshnessSeconds", freshnessSeconds);
        ArrayNode threadCounts = s.putArray("threads");
        report.threadCounts().forEach(threadCounts::add);

        ArrayNode list = root.putArray("figures");
        for (Ingest i : report.ingest()) {
            for (Figure f : new Figure[] {i.rate(), i.cpu()}) {
                figure(list, f).put("kind", i.kind().name()).put("threads", i.threads());
            }
        }
        figure(list, report.freshness().figure());
        report.queriesAndState().forEach(f -> figure(list, f));

        double bare = report.ingest(Kind.BARE_CONSUMER).rate().median();
        ObjectNode ratios = root.putObject("ratios");
        ObjectNode byThreads = json.createObjectNode();
        for (int t : report.threadCounts()) {
            double floor = report.ingest(Kind.STREAMS_FLOOR, t).rate().median();
            double ingest = report.ingest(Kind.ENGAGEMENT, t).rate().median();
            double naive = report.ingest(Kind.NAIVE, t).rate().median();
            double cpu = report.ingest(Kind.ENGAGEMENT, t).cpu().median() / report.ingest(Kind.STREAMS_FLOOR, t).cpu().median();
            ObjectNode r = byThreads.putObject(Integer.toString(t)).put("ingestOverFloor", ingest / floor)
                .put("ingestOverBare", ingest / bare).put("ingestOverNaive", ingest / naive)
                .put("floorOverBare", floor / bare).put("ingestCpuOverFloorCpu", cpu);
            if (t == report.threadCounts().get(0)) {
                ratios.setAll(r.deepCopy()); // the first thread count's ratios, under the keys of earlier reports
            }
        }
        ratios.set("byThreads", byThreads);

        Freshness f = report.freshness();
        root.putObject("freshness").put("p50Ms", f.p50Ms()).put("p95Ms", f.p95Ms()).put("p99Ms", f.p99Ms())
            .put("maxMs", f.maxMs()).put("markers", f.markers()).put("offeredPingsPerSecond", f.offeredRate())
            .put("producedPingsPerSecond", f.producedRate()).put("seconds", f.seconds())
            .put("commitIntervalMs", f.commitIntervalMs()).put("threads", f.threads());
        return json.writeValueAsString(root);
    }

    private Integer runJar() throws Exception {
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
        }
        List<RunJarBench.Round> result = new RunJarBench(new RunJarBench.Settings(runJar, pings, partitions, clients,
            segments, heap, brokerHeap, rounds, appJvmOptions), System.err).run();
        System.out.printf("%n`java -Xmx%s -jar %s run` (product defaults), broker in its own JVM (-Xmx%s), %,d pings"
            + " pre-produced to %d partitions%s%n", heap, runJar.getFileName(), brokerHeap, pings, partitions,
            appJvmOptions.isEmpty() ? "" : "; app JVM options " + appJvmOptions);
        String row = "%-52s" + " %12s".repeat(result.size()) + "%n";
        Object[] header = new Object[result.size() + 1];
        header[0] = "";
        for (int i = 0; i < result.size(); i++) {
            header[i + 1] = "round " + result.get(i).round();
        }
        System.out.printf(row, header);
        line(row, result, "pings/s, first ping to last", r -> String.format("%,.0f", r.rate()));
        line(row, result, "pings/s, last 80 % of pings", r -> String.format("%,.0f", r.steadyRate()));
        line(row, result, "s, launch to first ping", r -> String.format("%.1f", r.startupSeconds()));
        line(row, result, "s, first ping to last", r -> String.format("%.1f", r.seconds()));
        line(row, result, "app CPU s, launch to last ping", r -> String.format("%.1f", r.appCpuSeconds()));
        for (String g : RunJarBench.GROUPS) {
            line(row, result, "  " + g, r -> String.format("%.1f", r.appCpuByGroup().get(g)));
        }
        line(row, result, "app CPU s, launch to exit (close commits)", r -> String.format("%.1f", r.appCpuToExitSeconds()));
        line(row, result, "broker CPU s, app launch to last ping", r -> String.format("%.1f", r.brokerCpuSeconds()));
        line(row, result, "broker CPU s, app launch to app exit", r -> String.format("%.1f", r.brokerCpuToExitSeconds()));
        for (String topic : result.get(0).topicBytesPerMillion().keySet()) {
            line(row, result, "MB per M pings: " + topic,
                r -> String.format("%.1f", r.topicBytesPerMillion().get(topic) / 1e6));
        }
        line(row, result, "longest commit of a stream thread, ms", r -> String.format("%.0f", r.maxCommitMs()));
        line(row, result, "load average (1 min) at the last ping", r -> String.format("%.1f", r.loadAverage()));

        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.putObject("settings").put("pings", pings).put("partitions", partitions).put("clients", clients)
            .put("segments", segments).put("runJar", runJar.toString()).put("heap", heap).put("brokerHeap", brokerHeap)
            .put("rounds", rounds).putPOJO("appJvmOptions", appJvmOptions);
        ArrayNode list = root.putArray("runJar");
        for (RunJarBench.Round r : result) {
            ObjectNode o = list.addObject().put("round", r.round()).put("pingsPerSecond", r.rate())
                .put("steadyPingsPerSecond", r.steadyRate()).put("startupSeconds", r.startupSeconds())
                .put("seconds", r.seconds()).put("appCpuSeconds", r.appCpuSeconds())
                .put("appCpuToExitSeconds", r.appCpuToExitSeconds()).put("brokerCpuSeconds", r.brokerCpuSeconds())
                .put("brokerCpuToExitSeconds", r.brokerCpuToExitSeconds()).put("loadAverage", r.loadAverage());
            o.put("maxCommitMs", Double.isNaN(r.maxCommitMs()) ? null : r.maxCommitMs());
            ObjectNode groups = o.putObject("appCpuByGroup");
            r.appCpuByGroup().forEach(groups::put);
            ObjectNode bytes = o.putObject("topicBytesPerMillionPings");
            r.topicBytesPerMillion().forEach(bytes::put);
        }
        String text = json.writeValueAsString(root);
        System.out.println(text);
        if (out != null) {
            Files.writeString(out, text);
        }
        return 0;
    }

    private static void line(String row, List<RunJarBench.Round> rounds, String name,
                             Function<RunJarBench.Round, String> value) {
        Object[] args = new Object[rounds.size() + 1];
        args[0] = name;
        for (int i = 0; i < rounds.size(); i++) {
            args[i + 1] = value.apply(rounds.get(i));
        }
        System.out.printf(row, args);
    }

    private static ObjectNode figure(ArrayNode list, Figure f) {
        return list.addObject().put("name", f.name()).put("unit", f.unit()).put("median", f.median())
            .put("min", f.min()).put("max", f.max());
    }

}
