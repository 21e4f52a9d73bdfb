package dev.engagement.app;

import dev.engagement.ping.Rejection;
import dev.engagement.topology.IngestCounters;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.apache.kafka.streams.KafkaStreams;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Prometheus metrics of one instance (served on {@code /metrics}):
 * <ul>
 *   <li>{@code engagement_pings_total{outcome="accepted|late|dead_letter", reason}}: pings by outcome,
 *   dead letters by reason;</li>
 *   <li>{@code engagement_http_request_seconds{endpoint}}: query latency histograms (recorded by the
 *   HTTP layer);</li>
 *   <li>{@code engagement_state_bytes}: bytes of this instance's state directory;</li>
 *   <li>Kafka Streams' own metrics ({@code kafka_stream_*}) and JVM memory.</li>
 * </ul>
 */
final class Metrics {

    private Metrics() {
    }

    static PrometheusMeterRegistry create(KafkaStreams streams, IngestCounters counters, Path stateDir) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new KafkaStreamsMetrics(streams).bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        bindPings(registry, counters);
        StateSize size = new StateSize(stateDir);
        Gauge.builder("engagement_state_bytes", size, StateSize::bytes)
            .description("Bytes of this instance's Kafka Streams state directory (RocksDB stores and checkpoints)")
            .baseUnit("bytes").strongReference(true).register(registry);
        return registry;
    }

    static void bindPings(MeterRegistry registry, IngestCounters counters) {
        FunctionCounter.builder("engagement_pings", counters, IngestCounters::accepted)
            .description("Pings read, by outcome").tag("outcome", "accepted").tag("reason", "").register(registry);
        FunctionCounter.builder("engagement_pings", counters, IngestCounters::late)
            .description("Pings read, by outcome").tag("outcome", "late").tag("reason", "").register(registry);
        for (Rejection reason : Rejection.values()) {
            FunctionCounter.builder("engagement_pings", counters, c -> c.deadLettered(reason))
                .description("Pings read, by outcome").tag("outcome", "dead_letter").tag("reason", reason.name())
                .register(registry);
        }
    }

    /** The size of a directory tree, recomputed at most every 30 s (walking RocksDB files costs). */
    private static final class StateSize {
        private final Path dir;
        private long bytes;
        private long at;

        StateSize(Path dir) {
            this.dir = dir;
        }

        synchronized double bytes() {
            if (System.currentTimeMillis() - at > 30_000) {
                at = System.currentTimeMillis();
                try {
                    bytes = Directories.size(dir);
                } catch (IOException | java.io.UncheckedIOException e) {
                    // files come and go as RocksDB compacts: keep the last figure
                }
            }
            return bytes;
        }
    }
}
