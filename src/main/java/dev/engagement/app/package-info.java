/**
 * Running Engagement: the streams application (config, topics, lifecycle), and the in-process KRaft
 * broker of the embedded default. Wires the layers together; holds no business logic.
 */
package dev.engagement.app;
