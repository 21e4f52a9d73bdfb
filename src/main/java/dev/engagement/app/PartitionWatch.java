package dev.engagement.app;

import dev.engagement.topology.PartitionCount;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Watches the pings topic's partition count, which an operator may raise while Engagement runs.
 * Kafka Streams gives the new partitions tasks of their own at its next rebalance (it notices within
 * {@code metadata.max.age.ms}, 5 minutes by default), but only if the fold's changelog topic has as
 * many partitions (each task restores from its own): so the watch grows that topic to match first.
 * Meanwhile and after: queries count the new
 * partitions (an answer is {@code complete: false} until they are read), the merger makes no day
 * final before every partition, new ones included, has closed it, and the log and
 * {@code /v1/status} say what happened. A count that shrinks cannot happen in Kafka.
 */
final class PartitionWatch implements PartitionCount, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionWatch.class);
    /** How often the count is read in the background. */
    static final Duration INTERVAL = Duration.ofSeconds(5);

    private final Admin admin;
    private final String topic;
    private final int atStart;
    private final String changelog;
    private final AtomicInteger count;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "engagement-partition-watch");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param admin     a client of the cluster, owned by the caller
     * @param atStart   the topic's partitions when the application started
     * @param changelog the fold store's changelog topic, grown with the pings topic
     */
    public PartitionWatch(Admin admin, String topic, int atStart, String changelog) {
        this.admin = admin;
        this.topic = topic;
        this.atStart = atStart;
        this.changelog = changelog;
        this.count = new AtomicInteger(atStart);
        timer.scheduleWithFixedDelay(this::refreshed, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public int current() {
        return count.get();
    }

    @Override
    public int refreshed() {
        try {
            int now = admin.describeTopics(List.of(topic)).allTopicNames().get(2, TimeUnit.SECONDS)
                .get(topic).partitions().size();
            int before = count.getAndAccumulate(now, Math::max);
            if (now > before) {
                LOG.warn("the pings topic {} grew from {} to {} partitions: queries now count {} (answers are"
                    + " complete:false until the new ones are read), no day is final before every partition"
                    + " has closed it, and Kafka Streams gives the new partitions tasks at its next rebalance"
                    + " (within metadata.max.age.ms)", topic, before, now, now);
                growChangelog(now);
            }
        } catch (Exception e) {
            LOG.debug("could not read the partitions of {}: {}", topic, e.toString());
        }
        return count.get();
    }

    /** Grows the fold's changelog to {@code partitions}, unless it has them (another instance did it). */
    private void growChangelog(int partitions) {
        try {
            int has = admin.describeTopics(List.of(changelog)).allTopicNames().get(5, TimeUnit.SECONDS)
                .get(changelog).partitions().size();
            if (has < partitions) {
                admin.createPartitions(Map.of(changelog, NewPartitions.increaseTo(partitions))).all()
                    .get(10, TimeUnit.SECONDS);
                LOG.warn("grew the changelog {} from {} to {} partitions, so that Kafka Streams can give the new"
                    + " pings partitions tasks", changelog, has, partitions);
            }
        } catch (Exception e) {
            LOG.error("could not grow the changelog {} to {} partitions: Kafka Streams will refuse the new pings"
                + " partitions until it has them (kafka-topics --alter --partitions {}): {}", changelog, partitions,
                partitions, e.toString());
        }
    }

    /** The partitions when the application started. */
    public int atStart() {
        return atStart;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
