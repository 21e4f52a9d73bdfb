package dev.engagement.registry;

/** A refusal or failure of the schema registry, with Confluent's error code where there is one. */
public class SchemaRegistryException extends RuntimeException {

    /** Confluent: subject not found. */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Confluent: version not found. */
    public static final int VERSION_NOT_FOUND = 40402;
    /** Confluent: schema not found. */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** Confluent: the schema is incompatible with earlier versions. */
    public static final int INCOMPATIBLE_SCHEMA = 409;
    /** Not an answer of the registry: it could not be reached. */
    public static final int UNREACHABLE = -1;

    private final int errorCode;

    public SchemaRegistryException(int errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    public int errorCode() {
        return errorCode;
    }

    /**
     * True when the registry answered, with one of Confluent's error codes, that the schema, subject
     * or version does not exist. A bare HTTP 404 without such a code is not: it means the URL does
     * not lead to a Confluent-compatible API (e.g. Apicurio's without {@code /apis/ccompat/v7}), and
     * treating it as "unknown id" would dead-letter every good record.
     */
    public boolean isNotFound() {
        return errorCode == SCHEMA_NOT_FOUND || errorCode == SUBJECT_NOT_FOUND || errorCode == VERSION_NOT_FOUND;
    }
}
