package dev.engagement.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.avro.Schema;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client of the Confluent Schema Registry REST API (Confluent Platform, or any compatible
 * registry such as Apicurio's {@code /apis/ccompat/v7}). Caches ids and schemas; retries
 * unreachable or 5xx answers three times with backoff before giving up with
 * {@link SchemaRegistryException#UNREACHABLE}. Thread-safe.
 */
public final class ConfluentRegistryClient implements SchemaRegistry {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final int ATTEMPTS = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String authorization;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    /**
     * @param baseUrl       the registry's URL, e.g. {@code http://localhost:8081}, with any path prefix
     * @param basicUserInfo {@code user:password} for HTTP basic authentication, or null
     */
    public ConfluentRegistryClient(String baseUrl, String basicUserInfo) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.authorization = basicUserInfo == null || basicUserInfo.isBlank() ? null
            : "Basic " + Base64.getEncoder().encodeToString(basicUserInfo.getBytes(StandardCharsets.UTF_8));
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    @Override
    public int register(String subject, Schema schema) {
        String text = schema.toString();
        return idsBySubjectAndSchema.computeIfAbsent(subject + '\u0000' + text, k -> {
            ObjectNode body = JSON.createObjectNode().put("schema", text);
            JsonNode answer = call("POST", "/subjects/" + encode(subject) + "/versions", body.toString());
            int id = answer.path("id").asInt(-1);
            if (id < 0) {
                throw new SchemaRegistryException(500, "registry answered without an id: " + answer);
            }
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("GET", "/schemas/ids/" + id, null);
        Schema schema = parse(answer.path("schema").asText());
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema latest(String subject) {
        JsonNode answer = call("GET", "/subjects/" + encode(subject) + "/versions/latest", null);
        Schema schema = parse(answer.path("schema").asText());
        int id = answer.path("id").asInt();
        schemasById.putIfAbsent(id, schema);
        return new RegisteredSchema(subject, answer.path("version").asInt(), id, schema);
    }

    private static Schema parse(String text) {
        try {
            return new Schema.Parser().parse(text);
        } catch (RuntimeException e) {
            throw new SchemaRegistryException(500, "registry returned a schema that does not parse: " + e.getMessage(), e);
        }
    }

    private JsonNode call(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(Duration.ofSeconds(10))
            .header("Accept", CONTENT_TYPE)
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        Exception last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return JSON.readTree(response.body());
                }
                if (status < 500) {
                    throw refusal(status, response.body());
                }
                last = refusal(status, response.body());
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(SchemaRegistryException.UNREACHABLE, "interrupted", e);
            }
            if (attempt < ATTEMPTS) {
                sleepBackoff(attempt);
            }
        }
        throw new SchemaRegistryException(SchemaRegistryException.UNREACHABLE,
            "schema registry at " + baseUrl + " failed " + ATTEMPTS + " times on " + method + " " + path + ": " + last, last);
    }

    private static SchemaRegistryException refusal(int status, String body) {
        int code = status;
        String message = body;
        try {
            JsonNode json = JSON.readTree(body);
            code = json.path("error_code").asInt(status);
            message = json.path("message").asText(body);
        } catch (IOException | RuntimeException ignored) {
            // not JSON: keep the raw body
        }
        return new SchemaRegistryException(code, "schema registry refused (" + code + "): " + message);
    }

    private static void sleepBackoff(int attempt) {
        try {
            Thread.sleep(100L << (attempt - 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
