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

    /** True when the registry answered that the schema id does not exist. */
    public boolean isNotFound() {
        return errorCode == SCHEMA_NOT_FOUND || errorCode == SUBJECT_NOT_FOUND || errorCode == VERSION_NOT_FOUND
            || errorCode == 404;
    }
}
