/**
 * HyperLogLog sketches: add a client, union, estimate with bounds, and the stored byte form.
 *
 * <h2>Design notes</h2>
 * <ul>
 *   <li><b>Live HLL_8, stored HLL_4.</b> A live (open-day) sketch is an updatable {@code HLL_8}: an
 *   update costs ~5 ns for a long and ~30 ns for a string id, and allocates nothing in dense mode
 *   (HLL_4 is 2-3x slower per update). Stored bytes are {@code HLL_4} compact: once dense it is
 *   2.1 KB instead of 4.1 KB, and unions read it faster from bytes (28 dense sketches: ~300 µs for
 *   HLL_4 against ~530 µs for HLL_8, measured with JMH on the build machines). Sparse sketches are
 *   the same size in both types: 12 B for 1 client, 52 B for 10, 412 B for 100.</li>
 *   <li><b>Canonical bytes.</b> In the sparse LIST and SET modes the compact form lists coupons in
 *   hash-table order, which depends on the history of the table: a sketch that was serialized and
 *   read back mid-stream (a restart) serializes differently from one that was not, although it holds
 *   the same coupons. {@link dev.engagement.sketch.Sketches#toBytes} therefore sorts the coupons of
 *   the sparse forms. With that, replaying pings after a crash gives byte-identical sketches (see
 *   {@code SketchesTest}); dense HLL_8 registers, and the HLL_4 copy made from them, are already
 *   independent of history, and adding a client twice changes nothing. Sorted coupons are still the
 *   standard compact serialization, readable by any DataSketches HLL reader.</li>
 *   <li><b>Bounds.</b> {@code getLowerBound(2)} / {@code getUpperBound(2)}: two standard deviations,
 *   about 95 %. At lgK 12 the relative standard error is ~1.6 %.</li>
 *   <li><b>Merge order.</b> Unions of many sparse sketches depend slightly on the order of merging;
 *   callers merge in a deterministic order (segment, day, partition) so every call and every
 *   instance gives the same answer.</li>
 * </ul>
 */
package dev.engagement.sketch;
