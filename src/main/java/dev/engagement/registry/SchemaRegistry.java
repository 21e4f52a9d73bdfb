package dev.engagement.registry;

import org.apache.avro.Schema;

/**
 * The parts of the Confluent Schema Registry API that Engagement uses. Implementations cache:
 * a schema id, once known, is never looked up again.
 */
public interface SchemaRegistry extends AutoCloseable {

    /**
     * Registers a schema under a subject (or finds it, if already registered).
     *
     * @return its global id
     * @throws SchemaRegistryException with the registry's error code when refused (e.g. 409 incompatible)
     */
    int register(String subject, Schema schema);

    /**
     * The schema with a global id.
     *
     * @throws SchemaRegistryException with error code {@link SchemaRegistryException#SCHEMA_NOT_FOUND}
     *                                 when there is no such id
     */
    Schema schemaById(int id);

    /**
     * The latest version registered under a subject.
     *
     * @throws SchemaRegistryException with error code {@link SchemaRegistryException#SUBJECT_NOT_FOUND}
     */
    RegisteredSchema latest(String subject);

    @Override
    default void close() {
    }

    /** A schema as registered: subject, version, global id. */
    record RegisteredSchema(String subject, int version, int id, Schema schema) {
    }
}
