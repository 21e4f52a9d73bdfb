package dev.engagement.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;

/** Which instance `query` and `query releases` ask, with what token, and how the answer is printed. */
final class InstanceOptions {

    @Option(names = "--url", defaultValue = "http://localhost:8080", description = "The instance (default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--json", description = "Print the raw JSON answer.")
    boolean json;

    @Option(names = "--token", defaultValue = "${env:ENGAGEMENT_HTTP_TOKEN}",
        description = "Bearer token of the instance (default: $ENGAGEMENT_HTTP_TOKEN).")
    String token;

    /**
     * Asks the instance for {@code pathAndQuery}, then prints the raw answer ({@code --json}) or hands
     * it to {@code table}; an error answer is printed to stderr.
     *
     * @return the exit code: 0, or 1 for an error answer
     */
    int ask(String pathAndQuery, Consumer<JsonNode> table) throws IOException, InterruptedException {
        HttpResponse<String> response = get(url + pathAndQuery, token);
        JsonNode root = new ObjectMapper().readTree(response.body());
        if (response.statusCode() != 200) {
            System.err.println("engagement: " + response.statusCode() + ": " + root.path("error").asText(response.body()));
            return 1;
        }
        if (json) {
            System.out.println(response.body());
        } else {
            table.accept(root);
        }
        return 0;
    }

    /** GETs a URL, with the bearer token when there is one. */
    static HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (token != null && !token.isEmpty()) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
