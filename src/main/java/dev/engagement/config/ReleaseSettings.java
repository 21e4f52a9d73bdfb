package dev.engagement.config;

/**
 * The settings of {@code /v1/releases} ({@code engagement.release.*}).
 *
 * @param dimension  the dimension whose values are releases (default {@code app_version}); when set,
 *                   one of the dimensions (checked at load); the default may name none, and then
 *                   {@code /v1/releases} asks for a {@code dimension}
 * @param minClients the DAU over all segments that makes a version's release day (at least 1)
 */
public record ReleaseSettings(String dimension, int minClients) {
}
