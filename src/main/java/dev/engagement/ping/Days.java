package dev.engagement.ping;

import java.time.LocalDate;

/** Days since 1970-01-01 (UTC), the unit of every window in Engagement. */
public final class Days {

    /** Milliseconds in one day. */
    public static final long MILLIS = 86_400_000L;

    private Days() {
    }

    /** The UTC day of an epoch-millisecond timestamp. */
    public static int ofMillis(long epochMillis) {
        return (int) Math.floorDiv(epochMillis, MILLIS);
    }

    /** The first millisecond of a day. */
    public static long startMillis(int day) {
        return day * MILLIS;
    }

    /** The first millisecond after a day. */
    public static long endMillis(int day) {
        return (day + 1L) * MILLIS;
    }

    public static LocalDate toDate(int day) {
        return LocalDate.ofEpochDay(day);
    }

    public static int of(LocalDate date) {
        return Math.toIntExact(date.toEpochDay());
    }
}
