/**
 * State: the per-task sketch store that keeps open days' sketches live in memory and writes them to
 * RocksDB on flush and on every commit, and the key layout shared by every store and topic.
 *
 * <h2>Design notes</h2>
 * <p>A ping never (de)serializes a sketch. {@link dev.engagement.store.SketchStore} holds the live
 * {@code HLL_8} sketch of each (segment, day) of its open days ({@link dev.engagement.store.LiveSketches},
 * by day and dense segment id, loaded when the task starts; each a {@link dev.engagement.sketch.LiveHll}
 * carrying its key and dirty flags); a ping costs two array reads and an HLL update, and marks the
 * sketch dirty only if it changed. Dirty sketches are written as canonical
 * compact bytes (see {@code dev.engagement.sketch}) to a logged RocksDB key-value store, in one
 * batch, through Kafka Streams' cache-flush hook right before every commit (so the changelog always
 * holds at least every ping up to the committed offsets) and every flush interval unless a commit
 * just did (so queries see pings seconds old). Pings
 * replayed after a crash are already in the restored sketches, and adding a client twice changes
 * nothing: recovery is idempotent and byte-identical.
 *
 * <p>Why a key-value store with the day first in the key, rather than a Kafka Streams window store:
 * a window store orders keys as {@code [key][time]} inside segments of half the retention, so "every
 * segment of day d" scans 200 days of data; {@code [day][segment]} makes it one range scan.
 * Retention is applied by the owner (the topology deletes days older than the retention).
 *
 * <p>Maintainers: the commit hook is Kafka Streams' internal {@code CachedStateStore#flushCache}
 * (called in {@code StreamTask#prepareCommit} before the record collector is flushed and offsets
 * are committed) and the record context set for changelog writes is internal too. Both are pinned
 * to Kafka Streams 4.3.1; {@code SketchStoreTest} and the restart integration test guard them.
 */
package dev.engagement.store;
