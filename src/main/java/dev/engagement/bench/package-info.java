/**
 * The {@code bench} harness: Engagement's ingest measured against references taken in the same run
 * on the same machine (a bare consumer, a no-op Kafka Streams app, a naive DSL aggregate), plus the
 * in-memory fold core, each as a rate and as process CPU per million pings; every Kafka Streams run
 * on the same commit interval and thread count ({@link dev.engagement.bench.IngestBench}). Then the
 * freshness of answers under a steady load ({@code FreshnessBench}), and query
 * latency, state size and accuracy. Run on purpose: {@code java -jar target/engagement.jar bench}.
 */
package dev.engagement.bench;
