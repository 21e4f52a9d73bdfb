/**
 * Configuration: Engagement's own {@code engagement.*} keys with their defaults and validation, and
 * the Kafka properties that pass straight through to Streams, consumers, producers and admin.
 */
package dev.engagement.config;
