/**
 * The {@code bench} harness: Engagement's ingest measured against references taken in the same run
 * on the same machine (a bare consumer, a no-op Kafka Streams app, a naive DSL aggregate), plus the
 * in-memory fold core. Run on purpose: {@code java -jar target/engagement.jar bench}.
 */
package dev.engagement.bench;
