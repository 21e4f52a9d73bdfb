package dev.engagement.ping;

/**
 * Why a record was dead-lettered. The name is the {@code reason} header of the dead-letter record
 * and the {@code reason} label of the dead-letter counters.
 */
public enum Rejection {
    /** Fewer than 5 bytes, or the value is null: no Confluent wire-format header. */
    MALFORMED_RECORD,
    /** The first byte is not the Confluent magic byte 0. */
    WRONG_MAGIC_BYTE,
    /** The schema id is not known to the schema registry. */
    UNKNOWN_SCHEMA_ID,
    /** The writer schema cannot be read as a ping (schema resolution failed). */
    INCOMPATIBLE_SCHEMA,
    /** The Avro body does not decode with its writer schema (truncated or corrupt). */
    MALFORMED_AVRO,
    /** client_id is missing or empty. */
    MISSING_CLIENT_ID,
    /** client_id is longer than 128 characters. */
    OVERSIZED_CLIENT_ID,
    /** client_id holds control characters. */
    INVALID_CLIENT_ID,
    /** submission_timestamp is outside 2000-01-01 .. 2200-01-01, or more than a day after the Kafka record's timestamp. */
    INVALID_SUBMISSION_TIMESTAMP,
    /** activity_date is more than one day after the submission day (clock skew). */
    FUTURE_ACTIVITY_DATE,
    /** activity_date is older than the lateness window before the submission day. */
    STALE_ACTIVITY_DATE
}
