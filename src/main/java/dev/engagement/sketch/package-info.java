/**
 * HyperLogLog sketches: add a client, union, estimate with bounds, and the stored byte form.
 * Queries and the merger use Apache DataSketches' {@code HllSketch} and {@code Union}; the fold's
 * live sketches are {@link dev.engagement.sketch.LiveSketch}: DataSketches' heap {@code HLL_8} sketch,
 * with a seqlock so that query threads can copy it while the fold updates it.
 *
 * <h2>Design notes</h2>
 * <ul>
 *   <li><b>HLL_8, live and stored.</b> Measured with {@code SketchTypeBenchmark} at lgK 12 on the
 *   build machine (2 cores): a string-id update costs ~50 ns in both types (hashing dominates); a
 *   28-day MAU, the union of 28 dense sketches read from bytes, takes ~215 µs from HLL_8 bytes
 *   (wrapped, no copy) against ~930 µs from HLL_4; a dense sketch is 4.1 KB in HLL_8 against
 *   2.1 KB in HLL_4. Queries merge stored sketches all the time, so HLL_8 wins: 4x faster unions
 *   for 2x the bytes of dense sketches only. Sparse sketches, which are most segment-days, are the
 *   same size in both types: 12 B for 1 client, 52 B for 10, 412 B for 100.</li>
 *   <li><b>Canonical bytes.</b> In the sparse LIST and SET modes the compact form lists coupons in
 *   hash-table order, which depends on the history of the table: a sketch that was serialized and
 *   read back mid-stream (a restart) serializes differently from one that was not, although it holds
 *   the same coupons. {@link dev.engagement.sketch.Sketches#toBytes} therefore sorts the coupons of
 *   the sparse forms. With that, replaying pings after a crash gives byte-identical sketches (see
 *   {@code SketchesTest}); dense HLL_8 registers are already independent of history,
 *   and adding a client twice changes nothing. Sorted coupons are still the standard compact
 *   serialization, readable by any DataSketches HLL reader.</li>
 *   <li><b>DataSketches' own live sketch.</b> An earlier round folded into a mirror of DataSketches'
 *   heap sketch of our own (464 lines, one object deep instead of three, 1.5x faster updates in
 *   isolation). Once the store was written only at commit, ingest measured the same with either
 *   (alternated runs, within 1 %: BENCHMARKS.md), so the mirror went: the fold updates
 *   DataSketches' sketch, and {@link dev.engagement.sketch.LiveSketch} adds only what the library
 *   lacks, a seqlock for readers and an exact "did this update change it".</li>
 *   <li><b>Bounds.</b> {@code getLowerBound(2)} / {@code getUpperBound(2)}: two standard deviations,
 *   about 95 %. At lgK 12 the relative standard error is ~1.6 %.</li>
 *   <li><b>Trino and Presto.</b> {@link dev.engagement.sketch.TrinoHll} converts a sketch of lgK 12 or
  more, register by register, into airlift's {@code HyperLogLog} (Trino's and Presto's type, 4,096
  buckets) for the downstream records: exact because a coupon's slot and value map to a hash with the
  same bucket and leading zeros; not mergeable with Trino's own {@code approx_set} (another hash).
  Its class notes give the mapping and the limits.</li>
  <li><b>Merge order.</b> Unions of many sparse sketches depend slightly on the order of merging;
 *   callers merge in a deterministic order (segment, day, partition) so every call and every
 *   instance gives the same answer.</li>
 * </ul>
 */
package dev.engagement.sketch;
