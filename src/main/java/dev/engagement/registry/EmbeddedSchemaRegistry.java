package dev.engagement.registry;

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
 * schema id 2. Thread-safe.
 */
public final class EmbeddedSchemaRegistry implements SchemaRegistry {

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
        return idByCanonical.computeIfAbsent(schema.toString(), s -> {
            int id = byId.size() + 1;
            byId.put(id, schema);
            return id;
        });
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
