package dev.engagement.ping;

import dev.engagement.avro.Ping;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One segment dimension: a top-level ping field ({@code channel}, {@code os}, ...) or an attribute
 * ({@code attributes.KEY}), with a cap on its number of distinct values.
 *
 * @param name      the dimension's name, as in configuration and queries
 * @param maxValues distinct values kept per input partition before the rest fold into {@link #OTHER};
 *                  0 for no cap
 */
public record Dimension(String name, int maxValues) {

    /** The value of a missing or empty field. */
    public static final String NONE = "(none)";
    /** The value that every value past a dimension's cap (or longer than 128 characters) folds into. */
    public static final String OTHER = "Other";
    /** Longest kept value, in characters; longer values fold into {@link #OTHER}. */
    public static final int MAX_VALUE_LENGTH = 128;
    /** Prefix of attribute dimensions. */
    public static final String ATTRIBUTE_PREFIX = "attributes.";

    /** The top-level ping fields that can be dimensions. */
    public static final Set<String> FIELDS =
        Set.of("app_name", "channel", "os", "os_version", "country", "locale", "app_version");

    public Dimension {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("unknown dimension '" + name + "': use one of "
                + FIELDS.stream().sorted().toList() + " or attributes.<key>");
        }
        if (maxValues < 0) {
            throw new IllegalArgumentException("max values of " + name + " must be >= 0, got " + maxValues);
        }
    }

    public static boolean isValidName(String name) {
        return name != null && (FIELDS.contains(name)
            || (name.startsWith(ATTRIBUTE_PREFIX) && name.length() > ATTRIBUTE_PREFIX.length()));
    }

    /** The raw value of this dimension in a ping: {@link #NONE} when missing or empty, never null. */
    public String rawValue(Ping ping) {
        return normalize(field().apply(ping));
    }

    /**
     * Reads this dimension's field from a ping, as is (null when missing). Resolve it once and keep
     * it: the per-ping path then does no name lookup.
     */
    public Function<Ping, String> field() {
        return switch (name) {
            case "app_name" -> Ping::getAppName;
            case "channel" -> Ping::getChannel;
            case "os" -> Ping::getOs;
            case "os_version" -> Ping::getOsVersion;
            case "country" -> Ping::getCountry;
            case "locale" -> Ping::getLocale;
            case "app_version" -> Ping::getAppVersion;
            default -> {
                String key = name.substring(ATTRIBUTE_PREFIX.length());
                yield ping -> attribute(ping.getAttributes(), key);
            }
        };
    }

    /** A field's value as a dimension value: {@link #NONE} for missing or empty, {@link #OTHER} for too long. */
    public static String normalize(String value) {
        if (value == null || value.isEmpty()) {
            return NONE;
        }
        return value.length() > MAX_VALUE_LENGTH ? OTHER : value;
    }

    private static String attribute(Map<String, String> attributes, String key) {
        return attributes == null ? null : attributes.get(key);
    }
}
