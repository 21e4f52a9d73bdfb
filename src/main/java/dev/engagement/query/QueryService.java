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
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * <p>A partition is read from its active task's instance; when that instance does not answer (it
 * died and the group has not noticed yet) or there is none (a rebalance), from an instance that
 * hosts a standby of it, this one or any other, from its possibly stale copy. Partitions that cannot
 * be read anywhere are left out and the answer says {@code complete: false}; a query never fails for
 * that.
 */
public final class QueryService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QueryService.class);
    /** This instance, in a partition's route. */
    private static final String HERE = "";

    private final KafkaStreams streams;
    private final String storeName;
    private final String pingsTopic;
    private final IntSupplier partitions;
    private final HostInfo self;
    private final PeerClient peers;
    private final PartitionQuery partitionQuery;
    private final Answers answers;
    private final Answers unlimited;
    private final PeerFailures failures = new PeerFailures(LOG, System::nanoTime);
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
        int n = partitions.getAsInt();
        Map<Integer, List<String>> routes = routes(n);
        Map<Integer, Integer> next = new TreeMap<>(); // partition -> index of its next host to try
        for (int p = 0; p < n; p++) {
            next.put(p, 0);
        }
        Set<Integer> triedHere = new HashSet<>();
        List<PartitionAnswer> all = new ArrayList<>();
        // Rounds: each partition is asked of its first host; those a host did not answer (it failed, or
        // could not read them) are asked of their next host, then here as a last resort.
        while (!next.isEmpty()) {
            Set<Integer> local = new TreeSet<>();
            Map<String, Set<Integer>> remote = new TreeMap<>();
            for (Iterator<Map.Entry<Integer, Integer>> it = next.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Integer, Integer> e = it.next();
                int p = e.getKey();
                List<String> route = routes.get(p);
                String host = e.getValue() < route.size() ? route.get(e.getValue()) : null;
                if (host == null && triedHere.contains(p)) {
                    it.remove(); // nowhere left to read it: the answer says complete:false
                } else if (host == null || host.equals(HERE)) {
                    local.add(p);
                    triedHere.add(p);
                } else {
                    remote.computeIfAbsent(host, h -> new TreeSet<>()).add(p);
                }
            }
            if (next.isEmpty()) {
                break;
            }
            Map<String, CompletableFuture<List<PartitionAnswer>>> calls = new TreeMap<>();
            remote.forEach((host, parts) -> calls.put(host, CompletableFuture.supplyAsync(() -> {
                try {
                    List<PartitionAnswer> answers = peers.fetch(host, query, parts, answering.maxGroups());
                    failures.succeeded(host);
                    return answers;
                } catch (BadQueryException e) {
                    throw e; // the same question is bad everywhere: the caller gets the 400
                } catch (Exception e) {
                    // It may be dead before the group notices (session timeout): its partitions are
                    // asked of their standbys' instances in the next round.
                    failures.failed(host, parts, e);
                    return List.<PartitionAnswer>of();
                }
            }, fanOut)));
            List<PartitionAnswer> round = new ArrayList<>(local.isEmpty() ? List.of()
                : local(query, local, answering.maxGroups()));
            for (CompletableFuture<List<PartitionAnswer>> call : calls.values()) {
                try {
                    round.addAll(call.join());
                } catch (CompletionException e) {
                    if (e.getCause() instanceof BadQueryException bad) {
                        throw bad;
                    }
                    throw e;
                }
            }
            for (PartitionAnswer answer : round) {
                if (next.remove(answer.partition()) != null) {
                    all.add(answer);
                }
            }
            next.replaceAll((p, i) -> i + 1);
        }
        all.sort(Comparator.comparingInt(PartitionAnswer::partition));
        return answering.answer(query, all, n);
    }

    /**
     * Whether this instance can answer queries completely, for {@code /health/ready}: its streams are
     * RUNNING; or they are rebalancing and every partition is assigned here (active or standby, so
     * readable here now or within the rebalance wait) or hosted, active or standby, by another
     * instance that has not just failed a call. Alone (no {@code application.server}), RUNNING only.
     * Cheap: metadata in memory, no I/O.
     */
    public boolean canAnswer() {
        KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.RUNNING) {
            return true;
        }
        if (state != KafkaStreams.State.REBALANCING || self == null) {
            return false;
        }
        Map<Integer, List<String>> routes = routes(partitions.getAsInt(), false);
        for (List<String> route : routes.values()) {
            if (route.stream().noneMatch(h -> h.equals(HERE) || !failures.down(h))) {
                return false;
            }
        }
        return true;
    }

    /** {@link #routes(int, boolean)}, with a partition no metadata names read here. */
    private Map<Integer, List<String>> routes(int n) {
        return routes(n, true);
    }

    /**
     * Where each partition can be read, in the order to try: its active task's instance, then the
     * instances of its standbys (this one first: no call), instances that just failed last. This
     * instance is {@link #HERE}. A partition no metadata names is read here when {@code unknownHere}
     * (alone, or the streams not running), else has an empty route.
     */
    private Map<Integer, List<String>> routes(int n, boolean unknownHere) {
        Map<Integer, HostInfo> active = new HashMap<>();
        Map<Integer, List<HostInfo>> standby = new HashMap<>();
        Collection<StreamsMetadata> metadata;
        try {
            metadata = self == null ? List.of() : streams.streamsMetadataForStore(storeName);
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
                    standby.computeIfAbsent(tp.partition(), p -> new ArrayList<>()).add(m.hostInfo());
                }
            }
        }
        Map<Integer, List<String>> routes = new HashMap<>();
        for (int p = 0; p < n; p++) {
            List<String> route = new ArrayList<>();
            HostInfo owner = active.get(p);
            if (owner != null) {
                route.add(name(owner));
            }
            List<HostInfo> standbys = new ArrayList<>(standby.getOrDefault(p, List.of()));
            standbys.sort(Comparator.comparing((HostInfo h) -> !h.equals(self)).thenComparing(h -> h.host() + ":" + h.port()));
            for (HostInfo h : standbys) {
                String name = name(h);
                if (!route.contains(name)) {
                    route.add(name);
                }
            }
            if (route.isEmpty() && unknownHere) {
                route.add(HERE); // alone, or unknown owner: try here
            }
            // An instance that just failed is tried last; this one never is "down".
            route.sort(Comparator.comparing(h -> !h.equals(HERE) && failures.down(h)));
            routes.put(p, route);
        }
        return routes;
    }

    private String name(HostInfo host) {
        return host.equals(self) ? HERE : host.host() + ":" + host.port();
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
