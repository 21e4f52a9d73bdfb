/**
 * The Confluent Schema Registry wire format and REST API, spoken by the project itself (Confluent's
 * jars are not on Maven Central): a caching HTTP client, an embedded in-process registry serving
 * the project's own {@code schemas/}, and the Avro serdes built on them.
 */
package dev.engagement.registry;
