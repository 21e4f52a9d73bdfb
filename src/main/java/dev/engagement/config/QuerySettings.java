package dev.engagement.config;

import java.time.Duration;

/**
 * The query layer's settings ({@code engagement.query.*}).
 *
 * @param lowSampleClients a row is {@code lowSample} below this many clients in its denominator
 * @param maxRangeDays     most days one query may span
 * @param maxGroups        most groups in one answer
 * @param cacheEntries     closed-day union cache entries per instance
 * @param timeout          how long a query may take across instances before it fails
 */
public record QuerySettings(int lowSampleClients, int maxRangeDays, int maxGroups, int cacheEntries, Duration timeout) {
}
