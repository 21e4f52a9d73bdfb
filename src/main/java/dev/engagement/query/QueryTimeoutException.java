package dev.engagement.query;

/** A query ran past its time limit and was stopped (HTTP 503). */
public class QueryTimeoutException extends RuntimeException {
    public QueryTimeoutException(String message) {
        super(message, null, false, false);
    }
}
