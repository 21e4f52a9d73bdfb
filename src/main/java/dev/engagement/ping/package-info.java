/**
 * The ping model: validation, the activity day, and the segment (dimension values) a ping falls in.
 * Pure functions over decoded {@link dev.engagement.avro.Ping}s, with no Kafka types.
 */
package dev.engagement.ping;
