/**
 * The HTTP API (JSON, on Jetty 12's core API): {@code /v1/engagement}, {@code /v1/releases},
 * {@code /v1/dimensions}, {@code /v1/status}, health checks, metrics, the dashboard's files, and the
 * internal scatter-gather endpoint. Routes only translate: a request's parameters are parsed into a
 * query of the query layer, {@link dev.engagement.query.Queries} answers it, and the answer is
 * written as JSON ({@code AnswerJson}); lanes, limits on waiting, the connection limits, gzip, TLS
 * and the bearer token are this package's. No Kafka types here.
 */
package dev.engagement.http;
