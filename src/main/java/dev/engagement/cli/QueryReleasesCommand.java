package dev.engagement.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

/** {@code query releases}: asks a running instance's {@code /v1/releases} and prints a table (or the raw JSON). */
@Command(name = "releases", mixinStandardHelpOptions = true,
    description = "Versions by days since their release day, and the newest beside the previous one at the same age.")
final class QueryReleasesCommand implements Callable<Integer> {

    @Option(names = "--versions", description = "Versions, comma-separated (default: the newest 3 by release day).")
    String versions;

    @Option(names = "--ages", description = "Ages answered, A..B days since the release day (default 0..27).")
    String ages;

    @Option(names = "--metrics", description = "dau,mau,er,er_smoothed,uptake (default: all).")
    String metrics;

    @Option(names = "--compare-age", description = "Age of the comparison (default: the newer version's age on its newest complete day, within --ages).")
    Integer compareAge;

    @Option(names = "--dimension", description = "The release dimension (default: the instance's engagement.release.dimension).")
    String dimension;

    @Option(names = "--release", description = "A version's release day, version=YYYY-MM-DD (repeatable).")
    List<String> release = new ArrayList<>();

    @Option(names = "--where", description = "A filter, dimension=v1,v2 (repeatable).")
    List<String> where = new ArrayList<>();

    @Mixin
    InstanceOptions instance;

    @Override
    public Integer call() throws Exception {
        StringJoiner q = new StringJoiner("&");
        Map<String, String> single = new LinkedHashMap<>();
        single.put("dimension", dimension);
        single.put("versions", versions);
        single.put("ages", ages);
        single.put("metrics", metrics);
        single.put("compareAge", compareAge == null ? null : compareAge.toString());
        single.forEach((k, v) -> {
            if (v != null) {
                q.add(k + "=" + QueryCommand.enc(v));
            }
        });
        List<String> releases = release.stream().map(r -> "release." + r).toList();
        if (!QueryCommand.addPairs(q, releases, "--release", "version=YYYY-MM-DD")
            || !QueryCommand.addPairs(q, where, "--where", "dimension=value[,value]")) {
            return 2;
        }
        return instance.ask("/v1/releases?" + q, QueryReleasesCommand::print);
    }

    private static void print(JsonNode root) {
        for (JsonNode v : root.path("versions")) {
            System.out.printf("%s %s released %s%s, %d days before %s%n", root.path("dimension").asText(),
                v.path("version").asText(), v.path("releaseDay").asText(),
                v.path("releaseDayGiven").asBoolean() ? " (given)" : "", v.path("age").asInt(),
                root.path("newestDay").asText());
        }
        List<String> metricNames = new ArrayList<>();
        root.path("metrics").forEach(m -> metricNames.add(m.asText()));
        StringBuilder header = new StringBuilder(String.format("%-12s %4s %-10s", "version", "age", "day"));
        metricNames.forEach(m -> header.append(String.format(" %28s", m + " [lower, upper]")));
        header.append("  flags");
        System.out.println(header);
        for (JsonNode row : root.path("rows")) {
            StringBuilder line = new StringBuilder(String.format("%-12s %4d %-10s", row.path("version").asText(),
                row.path("age").asInt(), row.path("day").asText()));
            metricNames.forEach(m -> line.append(value(m, row.path(m))));
            line.append(AnswerTable.flags(row));
            System.out.println(line);
        }
        JsonNode c = root.path("comparison");
        if (c.isNull() || c.isMissingNode()) {
            System.out.println("no comparison: " + root.path("comparisonNote").asText());
        } else {
            System.out.printf("%s at day %d (%s) vs %s at day %d (%s)%s:%n", c.path("newer").path("version").asText(),
                c.path("age").asInt(), c.path("newer").path("day").asText(), c.path("older").path("version").asText(),
                c.path("age").asInt(), c.path("older").path("day").asText(),
                c.path("complete").asBoolean() ? "" : " (incomplete: a day within grace, or a window before the data)");
            c.path("metrics").fields().forEachRemaining(e -> {
                JsonNode m = e.getValue();
                JsonNode d = m.path("difference");
                System.out.printf("  %-12s %s vs %s; difference %s%s%n", e.getKey(), value(e.getKey(), m.path("newer")).trim(),
                    value(e.getKey(), m.path("older")).trim(), value(e.getKey(), d).trim(),
                    m.path("significant").asBoolean() ? ", significant" : ", not significant");
            });
        }
        AnswerTable.printNotes(root);
    }

    private static String value(String metric, JsonNode v) {
        return AnswerTable.estimate(v, metric.startsWith("er") || metric.equals("uptake"));
    }
}
