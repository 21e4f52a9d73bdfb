/**
 * The HTTP API (JSON, on the JDK's HTTP server): {@code /v1/engagement}, {@code /v1/releases}, {@code /v1/dimensions},
 * {@code /v1/status}, health checks, and the internal scatter-gather endpoint. No Kafka types here.
 */
package dev.engagement.http;
