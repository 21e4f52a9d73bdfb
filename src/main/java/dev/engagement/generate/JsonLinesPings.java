package dev.engagement.generate;

import dev.engagement.avro.Ping;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Reads pings from JSON Lines: one object per line with the Avro field names as keys.
 * {@code submission_timestamp} is ISO-8601 or epoch milliseconds; {@code activity_date} is
 * {@code YYYY-MM-DD}. A bad line is reported with its number and skipped.
 */
public final class JsonLinesPings {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a read did. */
    public record Result(long lines, long pings, long badLines) {
    }

    /** Told about each bad line. */
    @FunctionalInterface
    public interface BadLine {
        void report(long lineNumber, String reason);
    }

    private JsonLinesPings() {
    }

    public static Result read(Path file, Consumer<Ping> out, BadLine bad) throws IOException {
        return read(file, 0, out, bad, line -> { });
    }

    /**
     * As {@link #read(Path, Consumer, BadLine)}, from line {@code skipLines + 1} on (the first lines
     * are counted, not parsed: a replay resumed after an interruption), telling {@code afterLine}
     * each line number once its ping has gone to {@code out}.
     */
    public static Result read(Path file, long skipLines, Consumer<Ping> out, BadLine bad, LongConsumer afterLine)
        throws IOException {
        long lines = 0;
        long pings = 0;
        long badLines = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines++;
                if (lines <= skipLines) {
                    continue;
                }
                if (!line.isBlank()) {
                    try {
                        out.accept(parse(line));
                        pings++;
                    } catch (IllegalArgumentException e) {
                        badLines++;
                        bad.report(lines, e.getMessage());
                    }
                }
                afterLine.accept(lines);
            }
        }
        return new Result(lines, pings, badLines);
    }

    /** Parses one line; {@link IllegalArgumentException} says what is wrong. */
    public static Ping parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        JsonNode id = node.get("client_id");
        if (id == null || !id.isTextual()) {
            throw new IllegalArgumentException("client_id is missing or not a string");
        }
        Ping.Builder ping = Ping.newBuilder().setClientId(id.asText())
            .setSubmissionTimestamp(timestamp(node.get("submission_timestamp")));
        JsonNode date = node.get("activity_date");
        if (date != null && !date.isNull()) {
            try {
                ping.setActivityDate(LocalDate.parse(date.asText()));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("activity_date is not YYYY-MM-DD: " + date.asText());
            }
        } else {
            ping.setActivityDate(null);
        }
        ping.setAppName(text(node, "app_name")).setChannel(text(node, "channel")).setOs(text(node, "os"))
            .setOsVersion(text(node, "os_version")).setCountry(text(node, "country")).setLocale(text(node, "locale"))
            .setAppVersion(text(node, "app_version"));
        JsonNode attributes = node.get("attributes");
        if (attributes != null && !attributes.isNull()) {
            if (!attributes.isObject()) {
                throw new IllegalArgumentException("attributes is not an object");
            }
            Map<String, String> map = new LinkedHashMap<>();
            attributes.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
            ping.setAttributes(map);
        } else {
            ping.setAttributes(null);
        }
        return ping.build();
    }

    /** One JSON line for a ping (the inverse of {@link #parse}); timestamps as ISO-8601. */
    public static String toJson(Ping ping) {
        ObjectNode node = JSON.createObjectNode();
        node.put("client_id", ping.getClientId());
        node.put("submission_timestamp", ping.getSubmissionTimestamp().toString());
        if (ping.getActivityDate() != null) {
            node.put("activity_date", ping.getActivityDate().toString());
        }
        putIfSet(node, "app_name", ping.getAppName());
        putIfSet(node, "channel", ping.getChannel());
        putIfSet(node, "os", ping.getOs());
        putIfSet(node, "os_version", ping.getOsVersion());
        putIfSet(node, "country", ping.getCountry());
        putIfSet(node, "locale", ping.getLocale());
        putIfSet(node, "app_version", ping.getAppVersion());
        if (ping.getAttributes() != null && !ping.getAttributes().isEmpty()) {
            ObjectNode attributes = node.putObject("attributes");
            ping.getAttributes().forEach(attributes::put);
        }
        return node.toString();
    }

    private static void putIfSet(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static Instant timestamp(JsonNode node) {
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException("submission_timestamp is missing");
        }
        if (node.isIntegralNumber()) {
            return Instant.ofEpochMilli(node.asLong());
        }
        try {
            return Instant.parse(node.asText());
        } catch (DateTimeParseException e) {
            try {
                return Instant.ofEpochMilli(Long.parseLong(node.asText()));
            } catch (NumberFormatException n) {
                throw new IllegalArgumentException("submission_timestamp is neither ISO-8601 nor epoch millis: " + node.asText());
            }
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
