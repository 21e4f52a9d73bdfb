/**
 * The Kafka Streams topology: validate and fold pings into per-task partial sketches, route bad and
 * late pings, and merge partials into the compacted downstream topic.
 *
 * <h2>Design notes</h2>
 * <ul>
 *   <li><b>No repartition of pings.</b> HLL unions are commutative and idempotent, so each task keeps
 *   partial sketches for its own input partitions and queries union them. Only flushed partial
 *   sketches travel (to the merger): once per downstream interval for those that changed (the first
 *   send one interval after the task starts), and also when a day closes, when the live set is
 *   dropped under the memory cap or rebuilt, and after a restart (resync). The merger keeps each partition's latest partial under its own key.</li>
 *   <li><b>No per-ping sketch serialization.</b> Open days' sketches stay live in memory in the
 *   {@link dev.engagement.store.SketchStore}; the ones that changed are written out when Kafka
 *   Streams commits, when a day closes and when the memory cap drops them, and queries read open
 *   days from them in memory (see {@code dev.engagement.store}).</li>
 *   <li><b>Stream time is the ping's {@code submission_timestamp}</b>
 *   ({@link dev.engagement.topology.PingTimestampExtractor}), per input partition, as Kafka Streams
 *   measures windows. A day accepts pings until its end plus grace, in stream time; after that they
 *   go to the late topic. Kafka Streams commits stream time with the offsets, so after a crash the
 *   replayed pings meet the same grace decisions as the first time. A replayed ping of a day this
 *   partition has already closed is not folded again (its client is in the restored sketch), so a
 *   closed day is never reopened, even if stream time was lost.</li>
 *   <li><b>Idempotent recovery.</b> At-least-once replays re-add clients already in the restored
 *   sketches (no change); canonical sketch bytes make the result byte-identical to an uninterrupted
 *   run.</li>
 *   <li><b>Downstream {@code final}.</b> When a partition's stream time passes a day's grace, it
 *   sends a last partial for every segment of that day and a watermark (its last closed day) to
 *   every merger task; a record is final once every input partition's watermark has passed its
 *   day.</li>
 *   <li><b>Nothing pending is lost.</b> After a restart or a task migration, the first punctuation
 *   re-sends what the store holds of the open days and of the days closed since the last commit
 *   (what changed since is sent like any change), and the watermark; the merger keeps the latest partial per partition, so repeats are harmless.</li>
 * </ul>
 */
package dev.engagement.topology;
