package dev.engagement.query;

import java.util.Locale;

/** What a query can ask for; the JSON name is the lower-case name. */
public enum Metric {
    /** Distinct clients active on the day. */
    DAU(0),
    /** Distinct clients active on the day and the 6 before it. */
    WAU(6),
    /** Distinct clients active on the day and the 27 before it (28 days, as Mozilla defines it). */
    MAU(27),
    /** DAU / MAU. */
    ER(27),
    /** Mean DAU over the day and the 6 before it, divided by MAU. */
    ER_SMOOTHED(27);

    private final int lookback;

    Metric(int lookback) {
        this.lookback = lookback;
    }

    /** Days before the queried day that the metric reads: 0 for DAU, 6 for WAU, 27 for the others. */
    public int lookback() {
        return lookback;
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws BadQueryException for an unknown name */
    public static Metric parse(String name) {
        for (Metric m : values()) {
            if (m.jsonName().equals(name.trim())) {
                return m;
            }
        }
        throw new BadQueryException("unknown metric '" + name + "' (known: dau, wau, mau, er, er_smoothed)");
    }
}
