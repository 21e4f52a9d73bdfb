package dev.engagement.query;

import java.time.LocalDate;
import java.util.List;

/**
 * The answer of {@link Dimensions}: each dimension's values with the most distinct clients over the
 * 28 days ending on {@code day}.
 *
 * @param day        the newest day with data, or null when there is none (then every dimension
 *                   has no values)
 * @param dimensions every configured dimension, in configuration order
 */
public record DimensionsAnswer(LocalDate day, List<Dimension> dimensions) {

    public DimensionsAnswer {
        dimensions = List.copyOf(dimensions);
    }

    /**
     * One dimension.
     *
     * @param name           its name
     * @param distinctValues how many values it has on {@code day} (0 when there is no day)
     * @param values         its top values, most clients first (ties in the order the query gave them)
     * @param notRecorded    some sketches of the 28 days were written under a dimension list without
     *                       it: their clients are in no value
     */
    public record Dimension(String name, int distinctValues, List<Value> values, boolean notRecorded) {

        public Dimension {
            values = List.copyOf(values);
        }

        /** A dimension every sketch of the 28 days recorded. */
        public Dimension(String name, int distinctValues, List<Value> values) {
            this(name, distinctValues, values, false);
        }
    }

    /**
     * One value of a dimension.
     *
     * @param value   the value
     * @param clients its 28-day distinct clients (MAU estimate), rounded
     */
    public record Value(String value, long clients) {
    }
}
