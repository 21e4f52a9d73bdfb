package dev.engagement.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.avro.Schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-process schema registry, for the embedded default and for tests: no server, ids assigned
 * in registration order starting at 1. The project's own schemas (from {@code schemas/} on the
 * classpath) are registered first, so the ping schema is always id 1 and the segment-day sketch
 * schema id 2. Schemas are told apart by their JSON without the Java-only
 * {@code avro.java.string} property, which the generated classes add to every string type
 * ({@code <stringType>String</stringType>}): {@code Ping.getClassSchema()} is id 1 too. Thread-safe.
 */
public final class EmbeddedSchemaRegistry implements SchemaRegistry {

    /** A property of string types that only tells Java which class to use: not part of the schema. */
    private static final String JAVA_STRING_PROPERTY = "avro.java.string";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The project's schemas, in id order. */
    public static final List<String> BUILT_IN = List.of("schemas/ping.avsc", "schemas/segment_day_sketch.avsc");

    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<String, Integer> idByCanonical = new HashMap<>();
    private final Map<String, List<Integer>> versionsBySubject = new HashMap<>();

    public EmbeddedSchemaRegistry() {
        for (String resource : BUILT_IN) {
            idFor(load(resource));
        }
    }

    private static Schema load(String resource) {
        try (InputStream in = EmbeddedSchemaRegistry.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema " + resource + " is missing from the classpath");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int idFor(Schema schema) {
        return idByCanonical.computeIfAbsent(identity(schema), s -> {
            int id = byId.size() + 1;
            byId.put(id, schema);
            return id;
        });
    }

    /** The schema's JSON without {@value #JAVA_STRING_PROPERTY}. */
    private static String identity(Schema schema) {
        try {
            JsonNode json = JSON.readTree(schema.toString());
            stripJavaString(json);
            // Parse again, so that Avro writes {"type":"string"} as "string" like any other schema.
            return new Schema.Parser().parse(JSON.writeValueAsString(json)).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void stripJavaString(JsonNode node) {
        if (node instanceof ObjectNode object && object.has("type") && object.path(JAVA_STRING_PROPERTY).isTextual()) {
            object.remove(JAVA_STRING_PROPERTY);
        }
        for (JsonNode child : node) {
            stripJavaString(child);
        }
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        int id = idFor(schema);
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) {
            versions.add(id);
        }
        return id;
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema schema = byId.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
        return schema;
    }

    @Override
    public synchronized RegisteredSchema latest(String subject) {
        List<Integer> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw new SchemaRegistryException(SchemaRegistryException.SUBJECT_NOT_FOUND,
                "Subject '" + subject + "' not found.");
        }
        int id = versions.get(versions.size() - 1);
        return new RegisteredSchema(subject, versions.size(), id, byId.get(id));
    }
}
