package dev.engagement.query;

/** A query that cannot be answered as asked; the message names the problem (HTTP 400). */
public class BadQueryException extends RuntimeException {
    public BadQueryException(String message) {
        super(message, null, false, false);
    }
}
