package dev.engagement.config;

/**
 * The HTTP API's settings ({@code engagement.http.*}).
 *
 * @param bind  the address to listen on
 * @param port  the port, 0 for any free one
 * @param token the bearer token every request must carry, or empty for none
 */
public record HttpSettings(String bind, int port, String token) {

    /** Whether requests must carry {@link #token}. */
    public boolean hasToken() {
        return !token.isEmpty();
    }
}
