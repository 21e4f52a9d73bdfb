package dev.engagement.app;

import dev.engagement.ping.Rejection;
import dev.engagement.query.EngagementAnswer;
import dev.engagement.query.Metric;
import dev.engagement.query.WatchedSegments;
import dev.engagement.query.WatchedSegments.Day;
import dev.engagement.sketch.Estimate;
import dev.engagement.topology.IngestCounters;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics of one instance (served on {@code /metrics}):
 * <ul>
 *   <li>{@code engagement_pings_total{outcome="accepted|late|dead_letter", reason}}: pings by outcome,
 *   dead letters by reason;</li>
 *   <li>{@code engagement_http_request_seconds{endpoint}}: query latency histograms (recorded by the
 *   HTTP layer);</li>
 *   <li>{@code engagement_state_bytes}: bytes of this instance's state directory;</li>
 *   <li>{@code engagement_watch_dau}, {@code _mau}, {@code _er}, each also with {@code _lower} and
 *   {@code _upper}, {@code engagement_watch_low_sample} (1 or 0) and
 *   {@code engagement_watch_day_timestamp_seconds} (the start of the day the values are for), labelled
 *   {@code watch} and {@code day} ({@code complete} or {@code current}): the watched segments'
 *   readings ({@link WatchedSegments}), read at scrape time; NaN while a watch has none;</li>
 *   <li>Kafka Streams' own metrics ({@code kafka_stream_*}, {@code kafka_consumer_*}, ...);</li>
 *   <li>the JVM's: memory ({@code jvm_memory_*}), GC pauses and allocation ({@code jvm_gc_*}),
 *   threads ({@code jvm_threads_*}), CPU ({@code process_cpu_usage}, {@code system_cpu_usage},
 *   {@code system_load_average_1m}) and uptime ({@code process_uptime_seconds}).</li>
 * </ul>
 */
final class Metrics {

    private Metrics() {
    }

    static PrometheusMeterRegistry create(KafkaStreams streams, IngestCounters counters, Path stateDir) {
        // JvmGcMetrics listens to the JVM's GC notifications until closed: closed with the registry.
        JvmGcMetrics gc = new JvmGcMetrics();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) {
            @Override
            public void close() {
                gc.close();
                super.close();
            }
        };
        new KafkaStreamsMetrics(streams).bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
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

    /** Registers the gauges of every watched segment (see the class notes). */
    static void bindWatches(MeterRegistry registry, WatchedSegments watched) {
        for (String watch : watched.names()) {
            for (Day day : Day.values()) {
                for (Metric metric : WatchedSegments.METRICS) {
                    String name = "engagement_watch_" + metric.jsonName();
                    String what = metric.name() + " of the watched segment";
                    watchGauge(registry, watched, watch, day, name, what, row -> estimate(row, metric, Estimate::estimate));
                    watchGauge(registry, watched, watch, day, name + "_lower", "Lower ~95 % bound of the " + what,
                        row -> estimate(row, metric, Estimate::lower));
                    watchGauge(registry, watched, watch, day, name + "_upper", "Upper ~95 % bound of the " + what,
                        row -> estimate(row, metric, Estimate::upper));
                }
                watchGauge(registry, watched, watch, day, "engagement_watch_low_sample",
                    "1 when the watched segment's MAU is below the low-sample threshold, else 0",
                    row -> row.lowSample() ? 1 : 0);
                watchGauge(registry, watched, watch, day, "engagement_watch_day_timestamp_seconds",
                    "Start (00:00 UTC) of the day the watched segment's values are for",
                    row -> row.day().atStartOfDay().toEpochSecond(ZoneOffset.UTC));
            }
        }
    }

    private static void watchGauge(MeterRegistry registry, WatchedSegments watched, String watch, Day day, String name,
                                   String description, ToDoubleFunction<EngagementAnswer.Row> value) {
        Gauge.builder(name, watched, w -> w.reading(watch).flatMap(r -> r.row(day)).map(value::applyAsDouble)
                .orElse(Double.NaN))
            .description(description).tag("watch", watch).tag("day", day.label()).strongReference(true)
            .register(registry);
    }

    private static double estimate(EngagementAnswer.Row row, Metric metric, ToDoubleFunction<Estimate> part) {
        Estimate e = row.metrics().get(metric);
        return e == null ? Double.NaN : part.applyAsDouble(e);
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
                } catch (IOException | UncheckedIOException e) {
                    // files come and go as RocksDB compacts: keep the last figure
                }
            }
            return bytes;
        }
    }
}
