package dev.engagement.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The parts of {@code bench --run-jar} that read the app from outside: scrapes, crossings, thread groups. */
class RunJarBenchTest {

    private static final String SCRAPE = String.join("\n",
        "# HELP engagement_pings_total Pings read, by outcome",
        "# TYPE engagement_pings_total counter",
        "engagement_pings_total{outcome=\"accepted\",reason=\"\"} 1200.0",
        "engagement_pings_total{outcome=\"late\",reason=\"\"} 30.0",
        "engagement_pings_total{outcome=\"dead_letter\",reason=\"MALFORMED_AVRO\"} 2.0",
        "engagement_pings_totally_other 5.0",
        "kafka_stream_thread_commit_latency_max{thread_id=\"a-StreamThread-1\"} 41.0",
        "kafka_stream_thread_commit_latency_max{thread_id=\"a-StreamThread-2\"} NaN",
        "kafka_stream_thread_commit_latency_max{thread_id=\"a-StreamThread-3\"} 187.5");

    @Test
    void sumsEveryOutcomeOfOneMetricOnly() {
        assertThat(RunJarBench.sum(SCRAPE, "engagement_pings_total")).isEqualTo(1232.0);
    }

    @Test
    void takesTheLargestCommitIgnoringNaN() {
        assertThat(RunJarBench.maxOf(SCRAPE, "kafka_stream_thread_commit_latency_max")).isEqualTo(187.5);
        assertThat(RunJarBench.maxOf(SCRAPE, "no_such_metric")).isNaN();
    }

    @Test
    void interpolatesCrossingsBetweenScrapes() {
        List<double[]> samples = List.of(new double[] {1, 0}, new double[] {2, 0}, new double[] {3, 100},
            new double[] {4, 300}, new double[] {5, 300});
        assertThat(RunJarBench.crossing(samples, 1)).isCloseTo(2.01, within(1e-9));
        assertThat(RunJarBench.crossing(samples, 200)).isCloseTo(3.5, within(1e-9));
        assertThat(RunJarBench.crossing(samples, 300)).isCloseTo(4.0, within(1e-9));
        assertThatThrownBy(() -> RunJarBench.crossing(samples, 301)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void groupsThreadsByJavaNameOrComm() {
        String stream = RunJarBench.GROUPS.get(0);
        String io = RunJarBench.GROUPS.get(3);
        assertThat(RunJarBench.group("engagement-6f1c2d3e-1111-2222-3333-444455556666-StreamThread-2")).isEqualTo(stream);
        assertThat(RunJarBench.group("kafka-producer-network-thread | engagement-6f1c-StreamThread-1-producer"))
            .isEqualTo(io);
        assertThat(RunJarBench.group("kafka-producer-")).isEqualTo(io); // a comm: 15 characters
        assertThat(RunJarBench.group("C2 CompilerThread0")).isEqualTo(RunJarBench.GROUPS.get(1));
        assertThat(RunJarBench.group("G1 Conc#0")).isEqualTo(RunJarBench.GROUPS.get(2));
        assertThat(RunJarBench.group("rocksdb:low")).isEqualTo(RunJarBench.GROUPS.get(4));
        assertThat(RunJarBench.group("engagement-http-front")).isEqualTo(RunJarBench.GROUPS.get(5));
        assertThat(RunJarBench.group("main")).isEqualTo("other");
    }
}
