/**
 * Queries: parse and check a request, union the matching (segment, day) sketches of every partition
 * per group and day, and turn day unions into DAU / WAU / MAU / ER with bounds. No HTTP types here.
 *
 * <h2>Design notes</h2>
 * <ul>
 *   <li><b>Deterministic merges.</b> Within a partition, sketches merge in store-key order; across
 *   partitions, per-partition unions merge in partition order. Every instance gives the same answer
 *   to the same query, whichever instance receives it.</li>
 *   <li><b>Closed-day cache.</b> A day whose grace has passed in a partition never changes there, so
 *   that partition's per-(group, day) union for a filter is cached (LRU); a 28-day MAU then re-reads
 *   only the open days.</li>
 *   <li><b>First-dimension ranges.</b> Keys are {@code [day][first value][...]}, so a filter on the
 *   first dimension reads only its values' key ranges of a day
 *   ({@link dev.engagement.query.PartitionReader#scanFirstValue}); other filters compare key bytes
 *   and decode only group values.</li>
 *   <li><b>ER bounds.</b> DAU(d) and MAU(d) are estimated from sketches that share clients, so their
 *   errors are positively correlated. We use the delta method with the correlation set to zero,
 *   which over-states the variance of the ratio: relative SD(ER) = sqrt(rD² + rM²), where rX is the
 *   relative SD of X read off its own two-sigma sketch bounds. The bounds are the wider of ER ± 2 SD
 *   and [DAU.lower / MAU.upper, DAU.upper / MAU.lower], clamped to [0, 1]. The smoothed ratio does
 *   the same with the mean of seven DAUs, whose SDs add in quadrature. Measured coverage over
 *   thousands of rows (AnswersTest) is ~100 %: conservative, as intended.</li>
 *   <li><b>Releases.</b> {@link dev.engagement.query.Releases} answers a version's metrics by days
 *   since its release day with engagement queries (the version added to the filter) and compares the
 *   newest version with the previous one at the same age. Two versions' clients are disjoint on a
 *   day, so the difference's variance is the sum of theirs, each SD read off its estimate's bounds as
 *   (upper - lower) / 4. Release days settled on closed days are kept (Caffeine), so a warm query
 *   reads only open days again.</li>
 *   <li><b>One entry point for the API.</b> {@link dev.engagement.query.Queries} is everything the
 *   HTTP layer asks ({@link dev.engagement.query.ServedQueries} in production), so routes are tested
 *   over a stand-in. {@link dev.engagement.query.Dimensions} ranks each dimension's values by 28-day
 *   clients and keeps its default answer 30 s (Caffeine).</li>
 * </ul>
 */
package dev.engagement.query;
