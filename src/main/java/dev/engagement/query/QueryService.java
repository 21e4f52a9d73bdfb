package dev.engagement.query;

import dev.engagement.store.Layouts;
import dev.engagement.store.ReadableSketchStore;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Answers queries across every instance: each partition is read where it lives (here, through
 * Interactive Queries, or on its owner through a {@link PeerClient}), partial unions are merged here.
 *
 * <p>A partition's owner is its active task's instance; while a partition has no active owner (a
 * rebalance), a standby's instance serves it from its possibly stale copy. Partitions that cannot be
 * read are left out and the answer says {@code complete: false}; a query never fails for that.
 */
public final class QueryService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QueryService.class);

    private final KafkaStreams streams;
    private final String storeName;
    private final String pingsTopic;
    private final IntSupplier partitions;
    private final HostInfo self;
    private final PeerClient peers;
    private final PartitionQuery partitionQuery;
    private final Answers answers;
    private final Answers unlimited;
    private volatile Duration timeout = Duration.ofSeconds(30);
    /** The longest a read waits for a partition assigned here that cannot be read yet. */
    private static final Duration REBALANCE_WAIT = Duration.ofSeconds(2);
    private final ExecutorService fanOut = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "engagement-query-fanout");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param self  this instance's {@code application.server}, or null when it runs alone
     * @param peers how to ask other instances (unused when {@code self} is null)
     */
    public QueryService(KafkaStreams streams, String storeName, String pingsTopic, int partitions, HostInfo self,
                        PeerClient peers, PartitionQuery partitionQuery, Answers answers) {
        this(streams, storeName, pingsTopic, () -> partitions, self, peers, partitionQuery, answers);
    }

    /**
     * As the other constructor, for a pings topic whose partitions may be added while it runs: every
     * query reads (or counts as missing) as many partitions as {@code partitions} gives then.
     */
    public QueryService(KafkaStreams streams, String storeName, String pingsTopic, IntSupplier partitions, HostInfo self,
                        PeerClient peers, PartitionQuery partitionQuery, Answers answers) {
        this.streams = streams;
        this.storeName = storeName;
        this.pingsTopic = pingsTopic;
        this.partitions = partitions;
        this.self = self;
        this.peers = peers;
        this.partitionQuery = partitionQuery;
        this.answers = answers;
        this.unlimited = answers.withoutGroupLimit();
    }

    /** Sets the time limit of one query's work on this instance (default 30 s). */
    public void timeout(Duration limit) {
        this.timeout = limit;
    }

    /** Answers a query with every partition that can be read, here or elsewhere. */
    public EngagementAnswer query(EngagementQuery query) {
        return query(query, answers);
    }

    /**
     * As {@link #query}, without the group limit: for internal listings (such as every value of one
     * dimension) whose size is bounded by the value caps, not by the caller.
     */
    public EngagementAnswer queryAllGroups(EngagementQuery query) {
        return query(query, unlimited);
    }

    /** The newest day with data in the partitions held here, or -1. */
    public int latestLocalDay() {
        int latest = -1;
        for (int p = 0, n = partitions.getAsInt(); p < n; p++) {
            try {
                latest = Math.max(latest, reader(p).lastDay());
            } catch (RuntimeException e) {
                // not here, or not readable now
            }
        }
        return latest;
    }

    /**
     * The dimension lists the partitions held here were written under, each with the days it
     * covers (its earliest start and latest end over those partitions), in the order they applied.
     */
    public List<Layouts.Span> localLayouts() {
        Map<List<String>, Layouts.Span> spans = new LinkedHashMap<>();
        for (int p = 0, n = partitions.getAsInt(); p < n; p++) {
            Layouts layouts;
            try {
                layouts = reader(p).layouts();
            } catch (RuntimeException e) {
                continue; // not here, or not readable now
            }
            for (Layouts.Span s : layouts.history()) {
                spans.merge(s.dimensions(), s, (a, b) -> new Layouts.Span(a.tag(), a.dimensions(),
                    a.fromDay() < 0 || b.fromDay() < 0 ? -1 : Math.min(a.fromDay(), b.fromDay()),
                    a.untilDay() < 0 || b.untilDay() < 0 ? -1 : Math.max(a.untilDay(), b.untilDay())));
            }
        }
        return List.copyOf(spans.values());
    }

    private EngagementAnswer query(EngagementQuery query, Answers answering) {
        Map<String, Set<Integer>> remote = new HashMap<>();
        Set<Integer> local = new TreeSet<>();
        placement(local, remote);
        List<CompletableFuture<List<PartitionAnswer>>> calls = new ArrayList<>();
        remote.forEach((host, parts) -> calls.add(CompletableFuture.supplyAsync(() -> {
            try {
                return peers.fetch(host, query, parts, answering.maxGroups());
            } catch (BadQueryException e) {
                throw e; // the same question is bad everywhere: the caller gets the 400
            } catch (Exception e) {
                LOG.warn("instance {} did not answer for partitions {}: {}", host, parts, e.toString());
                // It may be dead before the group notices (session timeout): read its partitions
                // from a standby here, when there is one, rather than leave them out.
                try {
                    return local(query, parts, answering.maxGroups());
                } catch (QueryTimeoutException timeout) {
                    return List.<PartitionAnswer>of();
                }
            }
        }, fanOut)));
        List<PartitionAnswer> all = new ArrayList<>(local(query, local, answering.maxGroups()));
        for (CompletableFuture<List<PartitionAnswer>> call : calls) {
            try {
                all.addAll(call.join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof BadQueryException bad) {
                    throw bad;
                }
                throw e;
            }
        }
        return answering.answer(query, all, partitions.getAsInt());
    }

    /**
     * The answers of the given partitions that this instance can read (for other instances). A
     * partition assigned here that cannot be read yet (a rebalance is turning its standby here into
     * its active task) is waited for, up to {@link #REBALANCE_WAIT}.
     *
     * @throws BadQueryException when a partition's day has more than {@code maxGroups} groups
     * @throws QueryTimeoutException past the time limit
     */
    public List<PartitionAnswer> local(EngagementQuery query, Collection<Integer> wanted, int maxGroups) {
        List<PartitionAnswer> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        long waitUntil = Math.min(deadline, System.nanoTime() + REBALANCE_WAIT.toNanos());
        List<Integer> missing = new ArrayList<>(wanted);
        while (true) {
            for (Iterator<Integer> it = missing.iterator(); it.hasNext(); ) {
                int p = it.next();
                try {
                    out.add(partitionQuery.answer(query, reader(p), maxGroups, deadline));
                    it.remove();
                } catch (InvalidStateStoreException e) {
                    LOG.debug("partition {} not readable here: {}", p, e.getMessage());
                }
            }
            // A rebalance hides a partition for a moment while its standby here turns active:
            // wait for it (briefly) rather than answer without it.
            if (missing.isEmpty() || System.nanoTime() > waitUntil || !assignedHere(missing)) {
                return out;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }
    }

    /**
     * Whether one of the partitions is assigned here, active or standby, as of the last rebalance
     * (or the streams are rebalancing now): its store, if not readable yet, soon will be.
     */
    private boolean assignedHere(Collection<Integer> wanted) {
        if (streams.state() == KafkaStreams.State.REBALANCING) {
            return true;
        }
        if (self == null) {
            return false;
        }
        try {
            for (StreamsMetadata m : streams.streamsMetadataForStore(storeName)) {
                if (m.hostInfo().equals(self)) {
                    for (TopicPartition tp : m.topicPartitions()) {
                        if (tp.topic().equals(pingsTopic) && wanted.contains(tp.partition())) {
                            return true;
                        }
                    }
                    for (TopicPartition tp : m.standbyTopicPartitions()) {
                        if (tp.topic().equals(pingsTopic) && wanted.contains(tp.partition())) {
                            return true;
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            return false; // not running: nothing is coming
        }
        return false;
    }

    /**
     * A partition's sketch store on this instance, active or standby (stale stores allowed).
     *
     * @throws InvalidStateStoreException when it is not here or not readable now
     */
    private StorePartitionReader reader(int partition) {
        ReadableSketchStore store = streams.store(StoreQueryParameters
            .fromNameAndType(storeName, ReadableSketchStore.type())
            .withPartition(partition).enableStaleStores());
        return new StorePartitionReader(partition, store);
    }

    /** Decides where each partition is read: here, or on which other instance. */
    private void placement(Set<Integer> local, Map<String, Set<Integer>> remote) {
        Map<Integer, HostInfo> active = new HashMap<>();
        Map<Integer, HostInfo> standby = new HashMap<>();
        Collection<StreamsMetadata> metadata;
        try {
            metadata = streams.streamsMetadataForStore(storeName);
        } catch (RuntimeException e) {
            // Streams not running (starting, or stopped on an error): try what is here; the answer
            // says which partitions were read.
            metadata = List.of();
        }
        for (StreamsMetadata m : metadata) {
            for (TopicPartition tp : m.topicPartitions()) {
                if (tp.topic().equals(pingsTopic)) {
                    active.put(tp.partition(), m.hostInfo());
                }
            }
            for (TopicPartition tp : m.standbyTopicPartitions()) {
                if (tp.topic().equals(pingsTopic)) {
                    standby.putIfAbsent(tp.partition(), m.hostInfo());
                }
            }
        }
        for (int p = 0, n = partitions.getAsInt(); p < n; p++) {
            HostInfo owner = active.getOrDefault(p, standby.get(p));
            if (self == null || owner == null || owner.equals(self)) {
                local.add(p); // alone, unknown owner (try here), or ours
            } else {
                remote.computeIfAbsent(owner.host() + ":" + owner.port(), h -> new TreeSet<>()).add(p);
            }
        }
    }

    public int partitions() {
        return partitions.getAsInt();
    }

    @Override
    public void close() {
        fanOut.shutdownNow();
        try {
            fanOut.awaitTermination(1, TimeUnit.SECONDS); // interrupted calls end at once; a shutdown is bounded
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
