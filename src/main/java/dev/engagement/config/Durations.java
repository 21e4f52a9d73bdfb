package dev.engagement.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations written as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 6h}, {@code 2d} or ISO-8601 ({@code P2D}). */
public final class Durations {

    private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private Durations() {
    }

    public static Duration parse(String key, String text) {
        String value = text.trim();
        Matcher m = SIMPLE.matcher(value);
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            return Duration.parse(value);
        } catch (DateTimeParseException | NumberFormatException | ArithmeticException e) {
            // Not a duration, or too many digits / too long for a Duration.
            throw new ConfigException(key + ": '" + text + "' is not a duration (examples: 500ms, 30s, 6h, 2d, P2D)");
        }
    }

    /** The short form of a duration, as accepted by {@link #parse}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000L == 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0) {
            return ms / 60_000L + "m";
        }
        if (ms % 1000L == 0) {
            return ms / 1000L + "s";
        }
        return ms + "ms";
    }
}
