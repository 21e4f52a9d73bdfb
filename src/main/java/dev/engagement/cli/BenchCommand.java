package dev.engagement.cli;

import dev.engagement.bench.IngestBench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Measures ingest against same-run references on an in-process broker. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmark ingest on an in-process broker: a bare consumer, a no-op Kafka Streams app, Engagement,"
        + " a naive DSL aggregate and the in-memory fold, in one run; prints a table and JSON.")
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

    @Option(names = "--flush-interval", defaultValue = "1s",
        description = "Engagement's engagement.flush-interval for the run (default ${DEFAULT-VALUE}).")
    String flushInterval;

    @Option(names = "--downstream-interval",
        description = "Engagement's engagement.downstream-interval for the run (default: the product default).")
    String downstreamInterval;

    @Option(names = "--query-segments", defaultValue = "20000",
        description = "Active segments a day in the query store (default ${DEFAULT-VALUE}).")
    int querySegments;

    @Option(names = "--query-days", defaultValue = "60", description = "Days in the query store (default ${DEFAULT-VALUE}).")
    int queryDays;

    @Option(names = "--accuracy-segments", defaultValue = "200",
        description = "Random segments for the accuracy figures (default ${DEFAULT-VALUE}).")
    int accuracySegments;

    @Option(names = "--out", description = "Also write the figures as JSON here.")
    Path out;

    @Override
    public Integer call() throws Exception {
        IngestBench.Settings settings = new IngestBench.Settings(pings, partitions, clients, segments, repetitions,
            Math.min(naivePings, pings), flushInterval, downstreamInterval, querySegments, queryDays, accuracySegments);
        List<IngestBench.Figure> figures;
        try (IngestBench bench = new IngestBench(settings)) {
            figures = bench.runAll(System.err);
        }
        double bare = figures.get(0).median();
        double floor = figures.get(1).median();
        double ingest = figures.get(2).median();
        double naive = figures.get(3).median();
        System.out.printf("%n%-52s %14s %14s %14s%n", "figure (" + repetitions + " repetitions)", "median", "min", "max");
        for (IngestBench.Figure f : figures.subList(0, 5)) {
            System.out.printf("%-52s %,14.0f %,14.0f %,14.0f  %s%n", f.name(), f.median(), f.min(), f.max(), f.unit());
        }
        System.out.printf("%n%-52s %14s %14s %14s%n", "queries, state, accuracy", "value / p50", "p95", "p99");
        for (IngestBench.Figure f : figures.subList(5, figures.size())) {
            if (f.unit().startsWith("ms")) {
                System.out.printf("%-52s %,14.1f %,14.1f %,14.1f  ms%n", f.name(), f.median(), f.min(), f.max());
            } else {
                System.out.printf("%-52s %,14.1f %14s %14s  %s%n", f.name(), f.median(), "", "", f.unit());
            }
        }
        System.out.printf("%nEngagement ingest / Streams floor: %5.1f %%   (target >= 75 %%)%n", 100 * ingest / floor);
        System.out.printf("Engagement ingest / bare consumer: %5.1f %%%n", 100 * ingest / bare);
        System.out.printf("Engagement ingest / naive baseline: %5.2f x   (target >= 4 x)%n", ingest / naive);
        System.out.printf("Streams floor / bare consumer:      %5.1f %%%n", 100 * floor / bare);

        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.putObject("settings").put("pings", pings).put("partitions", partitions).put("clients", clients)
            .put("segments", segments).put("repetitions", repetitions).put("naivePings", Math.min(naivePings, pings))
            .put("flushInterval", flushInterval)
            .put("downstreamInterval", downstreamInterval);
        ArrayNode list = root.putArray("figures");
        figures.forEach(f -> list.addObject().put("name", f.name()).put("unit", f.unit()).put("median", f.median())
            .put("min", f.min()).put("max", f.max()));
        root.putObject("ratios").put("ingestOverFloor", ingest / floor).put("ingestOverBare", ingest / bare)
            .put("ingestOverNaive", ingest / naive).put("floorOverBare", floor / bare);
        String text = json.writeValueAsString(root);
        System.out.println(text);
        if (out != null) {
            java.nio.file.Files.writeString(out, text);
        }
        return 0;
    }
}
