package dev.engagement.query;

import java.util.Locale;

/** What a releases query can ask for per version and age; the JSON name is the lower-case name. */
public enum ReleaseMetric {
    /** The version's distinct clients on the day. */
    DAU,
    /** The version's distinct clients over the day and the 27 before it. */
    MAU,
    /** The version's DAU / MAU. */
    ER,
    /** The version's mean DAU over the day and the 6 before it, divided by its MAU. */
    ER_SMOOTHED,
    /** DAU of the version / DAU of all versions, with the same filters, on the day. */
    UPTAKE;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws BadQueryException for an unknown name */
    public static ReleaseMetric parse(String name) {
        for (ReleaseMetric m : values()) {
            if (m.jsonName().equals(name.trim())) {
                return m;
            }
        }
        throw new BadQueryException("unknown metric '" + name + "' (known: dau, mau, er, er_smoothed, uptake)");
    }

    /** Whether the row's {@code lowSample} is judged on MAU (a 28-day metric is asked) rather than DAU. */
    boolean readsMonth() {
        return this == MAU || this == ER || this == ER_SMOOTHED;
    }
}
