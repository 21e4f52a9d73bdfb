package dev.engagement.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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

    @Option(names = "--url", defaultValue = "http://localhost:8080", description = "The instance (default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--json", description = "Print the raw JSON answer.")
    boolean json;

    @Option(names = "--token", defaultValue = "${env:ENGAGEMENT_HTTP_TOKEN}",
        description = "Bearer token of the instance (default: $ENGAGEMENT_HTTP_TOKEN).")
    String token;

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
        HttpResponse<String> response = get(url + "/v1/engagement?" + q, token);
        JsonNode root = new ObjectMapper().readTree(response.body());
        if (response.statusCode() != 200) {
            System.err.println("engagement: " + response.statusCode() + ": " + root.path("error").asText(response.body()));
            return 1;
        }
        if (json) {
            System.out.println(response.body());
            return 0;
        }
        print(root);
        return 0;
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

    /** GETs a URL, with the bearer token when there is one. */
    static HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (token != null && !token.isEmpty()) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
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
            for (String m : metricNames) {
                JsonNode v = row.path(m);
                boolean ratio = m.startsWith("er");
                line.append(String.format(ratio ? " %8.3f [%7.3f, %7.3f]" : " %8.0f [%7.0f, %7.0f]",
                    v.path("estimate").asDouble(), v.path("lower").asDouble(), v.path("upper").asDouble()));
            }
            List<String> flags = new ArrayList<>();
            if (row.path("lowSample").asBoolean()) {
                flags.add("low-sample");
            }
            if (!row.path("complete").asBoolean()) {
                flags.add("incomplete");
            }
            line.append("  ").append(String.join(",", flags));
            System.out.println(line);
        }
        if (!root.path("complete").asBoolean()) {
            System.out.println("(incomplete: window before the data starts, a day within grace, or partitions unread: "
                + root.path("partitions").path("answered").asInt() + "/" + root.path("partitions").path("total").asInt() + ")");
        }
        if (!root.path("partitions").path("standby").isEmpty()) {
            System.out.println("(partitions " + root.path("partitions").path("standby")
                + " read from a standby: their open days are as of their last commit, up to one commit interval old)");
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
