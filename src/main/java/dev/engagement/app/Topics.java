package dev.engagement.app;

import dev.engagement.config.EngagementConfig;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Creates Engagement's topics when missing, and checks them when they exist.
 *
 * <table>
 *   <caption>Topics</caption>
 *   <tr><th>topic</th><th>partitions</th><th>settings when created</th></tr>
 *   <tr><td>pings</td><td>{@code partitions}</td><td>{@code message.timestamp.type=LogAppendTime}: retention counts
 *       from arrival, so a backfill of old pings is not deleted on arrival</td></tr>
 *   <tr><td>dead-letter, late</td><td>{@code partitions}</td><td>LogAppendTime, 30 days retention</td></tr>
 *   <tr><td>partials (internal)</td><td>as the pings topic</td><td>LogAppendTime, 7 days retention</td></tr>
 *   <tr><td>sketches</td><td>as the pings topic</td><td>{@code cleanup.policy=compact}</td></tr>
 * </table>
 */
public final class Topics {

    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
    private static final String THIRTY_DAYS = Long.toString(TimeUnit.DAYS.toMillis(30));
    private static final String SEVEN_DAYS = Long.toString(TimeUnit.DAYS.toMillis(7));

    private Topics() {
    }

    /**
     * Creates the missing topics and checks the existing ones.
     *
     * @param partitions  partitions for a missing pings topic (the other topics follow the pings topic)
     * @param replication replication factor of created topics, or -1 for the broker's default
     * @return warnings about existing topics that differ from what Engagement expects
     */
    public static List<String> ensure(Admin admin, EngagementConfig config, int partitions, short replication)
        throws ExecutionException, InterruptedException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        int pingPartitions = partitions;
        if (existing.contains(config.pingsTopic())) {
            pingPartitions = describe(admin, config.pingsTopic()).partitions().size();
        }
        Map<String, Map<String, String>> wanted = new LinkedHashMap<>();
        wanted.put(config.pingsTopic(), Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        wanted.put(config.deadLetterTopic(), Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
            TopicConfig.RETENTION_MS_CONFIG, THIRTY_DAYS));
        wanted.put(config.lateTopic(), Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
            TopicConfig.RETENTION_MS_CONFIG, THIRTY_DAYS));
        wanted.put(config.partialsTopic(), Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
            TopicConfig.RETENTION_MS_CONFIG, SEVEN_DAYS));
        wanted.put(config.sketchesTopic(), Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));

        List<NewTopic> create = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> e : wanted.entrySet()) {
            if (!existing.contains(e.getKey())) {
                create.add(new NewTopic(e.getKey(), Optional.of(pingPartitions),
                    replication > 0 ? Optional.of(replication) : Optional.empty()).configs(e.getValue()));
            }
        }
        for (NewTopic topic : create) {
            try {
                admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                LOG.info("created topic {} ({} partitions, {})", topic.name(), pingPartitions, topic.configs());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            } catch (TimeoutException e) {
                throw new ExecutionException("timed out creating topic " + topic.name(), e);
            }
        }
        awaitLeaders(admin, create.stream().map(NewTopic::name).toList(), Duration.ofSeconds(30));
        return check(admin, config, pingPartitions, existing);
    }

    /**
     * Waits until every partition of the topics has a leader: producing to a topic in the instant
     * after its creation fails with NotLeaderOrFollower and can upset an idempotent producer.
     */
    public static void awaitLeaders(Admin admin, Collection<String> topics, Duration timeout)
        throws ExecutionException, InterruptedException {
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get();
                boolean ready = described.values().stream()
                    .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new ExecutionException("topics " + topics + " have partitions without a leader after " + timeout, null);
            }
            Thread.sleep(50);
        }
    }

    private static List<String> check(Admin admin, EngagementConfig config, int pingPartitions, Set<String> existing)
        throws ExecutionException, InterruptedException {
        List<String> warnings = new ArrayList<>();
        if (existing.contains(config.partialsTopic())) {
            int n = describe(admin, config.partialsTopic()).partitions().size();
            if (n != pingPartitions) {
                warnings.add("topic " + config.partialsTopic() + " has " + n + " partitions, the pings topic "
                    + pingPartitions + ": the downstream merge still works but spreads unevenly");
            }
        }
        if (existing.contains(config.sketchesTopic())) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, config.sketchesTopic());
            Config topicConfig = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            ConfigEntry policy = topicConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if (policy == null || !policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                warnings.add("topic " + config.sketchesTopic() + " is not compacted (cleanup.policy="
                    + (policy == null ? "?" : policy.value()) + "): consumers will see every update, not only the latest");
            }
        }
        warnings.forEach(w -> LOG.warn("{}", w));
        return warnings;
    }

    private static TopicDescription describe(Admin admin, String topic) throws ExecutionException, InterruptedException {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    }

    /**
     * How far a consumer group is behind a topic.
     *
     * @param lag        end offsets minus committed offsets, summed over partitions (a partition
     *                   without a committed offset counts whole)
     * @param endOffsets the end offsets, summed
     * @param committedOffsets the group's committed offsets, summed (a partition without one counts 0):
     *                   how far the group has read, kept by Kafka across restarts
     */
    public record Lag(long lag, long endOffsets, long committedOffsets) {
    }

    /** The lag of a group on partitions {@code 0..partitions-1} of a topic. */
    public static Lag lag(Admin admin, String group, String topic, int partitions, Duration timeout)
        throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        long lag = 0;
        long end = 0;
        long read = 0;
        for (var e : admin.listOffsets(latest).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS).entrySet()) {
            var c = committed.get(e.getKey());
            long at = c == null ? 0 : c.offset();
            lag += e.getValue().offset() - at;
            end += e.getValue().offset();
            read += at;
        }
        return new Lag(lag, end, read);
    }

    /** The names of every topic Engagement reads or writes. */
    public static Set<String> all(EngagementConfig config) {
        return Set.of(config.pingsTopic(), config.deadLetterTopic(), config.lateTopic(), config.partialsTopic(),
            config.sketchesTopic()).stream().collect(Collectors.toUnmodifiableSet());
    }
}
