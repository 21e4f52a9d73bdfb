package dev.engagement.config;

/** A configuration that cannot work, with a one-line message naming the key. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
