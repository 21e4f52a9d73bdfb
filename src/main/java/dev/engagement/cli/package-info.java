/**
 * The command line: {@code demo} (embedded default), {@code run} (production), {@code query} (and
 * {@code query releases}).
 * Parses flags and wires the other layers; prints one-line errors, never stack traces.
 */
package dev.engagement.cli;
