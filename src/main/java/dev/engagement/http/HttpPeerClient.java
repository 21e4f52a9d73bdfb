package dev.engagement.http;

import dev.engagement.query.BadQueryException;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.PartitionAnswer;
import dev.engagement.query.PartitionAnswerCodec;
import dev.engagement.query.PeerClient;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;

/** Calls another instance's {@code /internal/v1/partials} endpoint. */
public final class HttpPeerClient implements PeerClient {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Duration timeout;
    private final String token;

    /**
     * @param token the bearer token the instances share, or empty
     */
    public HttpPeerClient(Duration timeout, String token) {
        this.timeout = timeout;
        this.token = token;
    }

    @Override
    public List<PartitionAnswer> fetch(String host, EngagementQuery query, Set<Integer> partitions, int maxGroups)
        throws Exception {
        StringJoiner q = new StringJoiner("&");
        for (Map.Entry<String, List<String>> e : query.toParams().entrySet()) {
            for (String v : e.getValue()) {
                q.add(enc(e.getKey()) + "=" + enc(v));
            }
        }
        q.add("partitions=" + partitions.stream().map(String::valueOf).collect(Collectors.joining(",")));
        q.add("maxGroups=" + maxGroups);
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://" + host + "/internal/v1/partials?" + q))
            .timeout(timeout).GET();
        if (!token.isEmpty()) {
            builder.header("Authorization", "Bearer " + token);
        }
        HttpRequest request = builder.build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 400) {
            String message;
            try {
                message = new ObjectMapper().readTree(response.body()).path("error").asText();
            } catch (IOException e) {
                message = "bad query";
            }
            throw new BadQueryException(message);
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + " from " + host);
        }
        return PartitionAnswerCodec.decode(response.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
