/**
 * State: the per-task sketch store that keeps open days' sketches live in memory, serves queries
 * from them, and writes them to RocksDB when Kafka Streams commits; and the key layout shared by
 * every store and topic.
 *
 * <h2>Design notes</h2>
 * <p>A ping never (de)serializes a sketch. {@link dev.engagement.store.SketchStore} holds the live
 * {@code HLL_8} sketch of each (segment, day) of its open days ({@link dev.engagement.store.LiveSketches},
 * by day and dense segment id, loaded when the task starts; each a {@link dev.engagement.sketch.LiveSketch}
 * carrying its key and dirty flags); a ping costs two array reads and an HLL update, and marks the
 * sketch dirty only if it changed.
 *
 * <p><b>Writes.</b> Dirty sketches are written as canonical compact bytes (see
 * {@code dev.engagement.sketch}) to a logged RocksDB key-value store, in one batch, through Kafka
 * Streams' cache-flush hook right before every commit, so the changelog always holds every ping up
 * to the committed offsets. Two other moments write too: a day closing (its sketches are written,
 * then dropped from memory) and the live set dropped under the memory cap. Nothing else writes: not
 * a timer, not a downstream send, not a query. Pings replayed after a crash are already in the
 * restored sketches, and adding a client twice changes nothing: recovery is idempotent and
 * byte-identical. After a crash, at most one commit interval of pings is replayed.
 *
 * <p><b>Reads, and sharing the live sketches with query threads.</b> Interactive Queries read open
 * days from the live sketches, not from RocksDB, so an answer counts a ping as soon as the stream
 * thread has folded it, whatever the commit interval. The mechanism, chosen against a per-task lock
 * (a lock and an unlock on every ping), snapshots the stream thread would publish (serializing what
 * changed, the very cost commit-only writes remove) and queries handed to the stream thread (which
 * wait behind a poll, a commit or an idle thread):
 * <ul>
 *   <li><em>Finding the sketches:</em> {@link dev.engagement.store.LiveIndex}, a log per day of the
 *   live sketches. The stream thread appends to it when a sketch becomes live (its first ping of the
 *   day, or a load: an array store and a volatile count) and drops whole days, never per ping; a
 *   query sorts what was appended since the last query by key (readers share the sorted copy) and
 *   takes the entries of its key range, in store order. A skip list written by the stream thread
 *   cost the fold core ~17 % (measured); the log costs it within the noise.</li>
 *   <li><em>Reading one sketch:</em> a seqlock in {@link dev.engagement.sketch.LiveSketch}. The stream
 *   thread makes the sketch's sequence number odd before an update and even after it
 *   ({@code setOpaque}, a store-store fence, then {@code setRelease}: plain stores on x86, on a
 *   cache line the update touches anyway). A query copies the sketch's canonical bytes between
 *   two reads of the number and copies again if it moved, so it never sees a LIST or SET being
 *   rehashed, a promotion to HLL or an array being replaced. The stream thread never waits for a
 *   query, and a query waits for at most one update of one sketch.</li>
 *   <li><em>Merging with RocksDB:</em> a read takes the live entries of its range first and opens
 *   the RocksDB iterator second, then merges them by key (the live bytes win). A sketch dropped
 *   from memory in between (a day closing, the memory cap) was written to RocksDB before it was
 *   dropped, so it is in the iterator; and a dropped sketch never changes again, so the entry
 *   already taken still reads its last state. Answers therefore never go backwards.</li>
 * </ul>
 * Until the processor has loaded the live set (an active task restoring), and on a standby replica,
 * the store has no live sketches and reads RocksDB alone, as of the last commit that reached it: the
 * query layer marks such a partition's answer {@code standby}. {@code SketchStoreConcurrencyTest}
 * runs query threads against a folding store (every mode, days closing, the memory cap);
 * {@code LiveReadsTest} checks live answers against the written store's, byte for byte.
 *
 * <p><b>Dimension lists.</b> A key holds its values by position, so every key says which list of
 * dimensions it was written under: keys of a task's first list are untagged, keys of any later
 * list carry its tag (see {@link dev.engagement.store.SegmentDayKey}), and
 * {@link dev.engagement.store.Layouts} (kept in {@link dev.engagement.store.TaskMetadata}, restored
 * with the sketches) maps each tag to its names and records the days each list covers. A change
 * applies from the first open day: nothing stored is rewritten, so the days before answer byte for
 * byte as they did, and a day open at the change holds keys of both lists (their union counts no
 * client twice). Readers resolve every key by name through its own list. Chosen over a per-day
 * list in the metadata because a day open at a change needs two lists, and a key that names its
 * list needs no migration, so no crash in the middle of one can leave keys read under the wrong
 * list. The tag is derived from the names, so every task and the merger give a list the same one.
 * A stored {@code engagement.sketch.lg-k} and the key format are recorded too: a mismatch stops
 * the task ({@link dev.engagement.store.IncompatibleStateException}).
 *
 * <p>Why a key-value store with the day first in the key, rather than a Kafka Streams window store:
 * a window store orders keys as {@code [key][time]} inside segments of half the retention, so "every
 * segment of day d" scans 200 days of data; {@code [day][segment]} makes it one range scan.
 * Retention is applied by the owner (the topology deletes days older than the retention).
 *
 * <p>Maintainers: the commit hook is Kafka Streams' internal {@code CachedStateStore#flushCache}
 * (called in {@code StreamTask#prepareCommit} before the record collector is flushed and offsets
 * are committed); the record context set for changelog writes, and the {@code StateStoreProvider}
 * that {@link dev.engagement.store.ReadableSketchStore#type()} receives, are internal too. All are
 * pinned to Kafka Streams 4.3.1, and the build's enforcer rule fails on any other version until
 * they are checked again. {@code CommitHookIT} fails deterministically if Kafka Streams stops calling
 * the hook before it commits offsets (it checks the changelog from inside every offset commit);
 * {@code CrashIT} checks the outcome (byte-identical downstream records after kills at random
 * points, under both guarantees).
 */
package dev.engagement.store;
