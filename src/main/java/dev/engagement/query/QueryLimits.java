package dev.engagement.query;

import dev.engagement.config.QuerySettings;

/**
 * Limits that keep one query from taking an instance down.
 *
 * @param maxRangeDays     most days from {@code from} to {@code to}, inclusive
 * @param maxGroups        most distinct groups in one answer
 * @param lowSampleClients a row is {@code lowSample} when its denominator (MAU, or the metric itself
 *                         when no ratio is asked) is estimated below this many clients
 * @param maxParamLength   longest accepted query parameter value, in characters
 */
public record QueryLimits(int maxRangeDays, int maxGroups, int lowSampleClients, int maxParamLength) {

    public static final QueryLimits DEFAULTS = new QueryLimits(400, 1000, 100, 2000);

    /** The limits {@code settings} configure, with the default parameter length. */
    public static QueryLimits of(QuerySettings settings) {
        return new QueryLimits(settings.maxRangeDays(), settings.maxGroups(), settings.lowSampleClients(),
            DEFAULTS.maxParamLength());
    }
}
