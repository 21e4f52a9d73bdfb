package dev.engagement.app;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import org.apache.kafka.common.Uuid;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real single-node KRaft broker in this JVM, for the embedded default and the integration tests.
 * Wraps Kafka's internal test kit (kafka-test-common-runtime, pinned with every other Kafka jar).
 * Starts in about 1.5 s with about 40 MB of heap.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private final KafkaClusterTestKit cluster;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /**
     * Starts a broker whose files live under {@code baseDir}: formats it the first time, and resumes
     * it (same cluster id, same topics, offsets and data) when {@code baseDir} holds a broker that
     * was kept.
     *
     * @param baseDir where the broker keeps its logs and metadata
     * @param keepData true to leave the files behind on close (and so be able to resume)
     */
    public static EmbeddedKafka start(Path baseDir, boolean keepData) throws Exception {
        Files.createDirectories(baseDir);
        Path idFile = baseDir.resolve("cluster-id");
        boolean resume = Files.exists(idFile);
        String clusterId = resume ? Files.readString(idFile).trim() : Uuid.randomUuid().toString();
        TestKitNodes nodes = new TestKitNodes.Builder()
            .setClusterId(clusterId)
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .setBaseDirectory(baseDir)
            .build();
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
        if (keepData) {
            // A kept broker may restart after a kill -9: it registers anew, and its controller (in this
            // process too) fences it until the dead incarnation's session expires, 9 s by default.
            // 3 s here; not lower, and not for throwaway brokers, because a broker that misses its
            // heartbeats for that long (a loaded machine) is fenced and stops serving meanwhile.
            builder.setConfigProp("broker.session.timeout.ms", "3000")
                .setConfigProp("broker.heartbeat.interval.ms", "750");
        }
        KafkaClusterTestKit cluster = builder
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("log.cleaner.dedupe.buffer.size", "4194304")
            // Pings are replayed from the past: never let time-based retention delete them here.
            .setConfigProp("log.retention.ms", "-1")
            .setDeleteOnClose(!keepData)
            .build();
        try {
            if (!resume) {
                formatQuietly(cluster);
                if (keepData) {
                    Files.writeString(idFile, clusterId);
                }
            }
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return new EmbeddedKafka(cluster);
    }

    /**
     * Formats the broker's directories. Kafka's formatter prints its bootstrap metadata and a
     * "Formatting metadata directory" line to {@code System.out}, and the test kit gives no way to
     * redirect it; so that output is held back, and printed only if formatting fails. Swapping
     * {@code System.out} is process-wide: it happens before anything else of ours runs (the
     * demo's and the bench's start, a test's set-up), and lasts a few milliseconds.
     */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream held = new ByteArrayOutputStream();
        System.setOut(new PrintStream(held, true, StandardCharsets.UTF_8));
        try {
            cluster.format();
        } catch (Exception e) {
            System.setOut(out);
            out.print(held.toString(StandardCharsets.UTF_8));
            throw e;
        } finally {
            System.setOut(out);
        }
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
