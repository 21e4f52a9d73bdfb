package dev.engagement.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

/** Asks a running instance and prints a table (or the raw JSON). */
@Command(name = "query", mixinStandardHelpOptions = true, description = "Query DAU / WAU / MAU / ER from a running instance.",
    subcommands = QueryReleasesCommand.class)
final class QueryCommand implements Callable<Integer> {

    // Checked in call(), not by picocli: "query releases" has no --from / --to.
    @Option(names = "--from", description = "First day, YYYY-MM-DD (required).")
    String from;

    @Option(names = "--to", description = "Last day, YYYY-MM-DD (required).")
    String to;

    @Option(names = "--where", description = "A filter, dimension=v1,v2 (repeatable).")
    List<String> where = new ArrayList<>();

    @Option(names = "--group-by", description = "Dimensions to group by, comma-separated.")
    String groupBy;

    @Option(names = "--metrics", description = "dau,wau,mau,er,er_smoothed (default: all).")
    String metrics;

    @Mixin
    InstanceOptions instance;

    @Override
    public Integer call() throws Exception {
        if (from == null || to == null) {
            System.err.println("engagement: query needs --from and --to (or: query releases ...)");
            return 2;
        }
        StringJoiner q = new StringJoiner("&");
        q.add("from=" + enc(from)).add("to=" + enc(to));
        if (metrics != null) {
            q.add("metrics=" + enc(metrics));
        }
        if (groupBy != null) {
            q.add("groupBy=" + enc(groupBy));
        }
        if (!addPairs(q, where, "--where", "dimension=value[,value]")) {
            return 2;
        }
        return instance.ask("/v1/engagement?" + q, QueryCommand::print);
    }

    /** Adds {@code key=value} pairs as query parameters; false (after saying why) when one has no '='. */
    static boolean addPairs(StringJoiner q, List<String> pairs, String option, String form) {
        for (String w : pairs) {
            int eq = w.indexOf('=');
            if (eq <= 0) {
                System.err.println("engagement: " + option + " takes " + form + ", got '" + w + "'");
                return false;
            }
            q.add(enc(w.substring(0, eq)) + "=" + enc(w.substring(eq + 1)));
        }
        return true;
    }

    private static void print(JsonNode root) {
        List<String> metricNames = new ArrayList<>();
        root.path("metrics").forEach(m -> metricNames.add(m.asText()));
        List<String> groupNames = new ArrayList<>();
        root.path("groupBy").forEach(g -> groupNames.add(g.asText()));
        StringBuilder header = new StringBuilder(String.format("%-10s", "day"));
        groupNames.forEach(g -> header.append(String.format(" %-14s", g)));
        metricNames.forEach(m -> header.append(String.format(" %28s", m + " [lower, upper]")));
        header.append("  flags");
        System.out.println(header);
        for (JsonNode row : root.path("rows")) {
            StringBuilder line = new StringBuilder(String.format("%-10s", row.path("day").asText()));
            groupNames.forEach(g -> line.append(String.format(" %-14s", row.path("group").path(g).asText())));
            metricNames.forEach(m -> line.append(AnswerTable.estimate(row.path(m), m.startsWith("er"))));
            line.append(AnswerTable.flags(row));
            System.out.println(line);
        }
        AnswerTable.printNotes(root);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
