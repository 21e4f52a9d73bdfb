package dev.engagement.config;

import java.time.Duration;

/**
 * The HTTP API's settings ({@code engagement.http.*}).
 *
 * @param bind           the address to listen on
 * @param port           the port, 0 for any free one
 * @param token          the bearer token every request must carry, or empty for none
 * @param idleTimeout    a connection with no traffic for this long is closed
 * @param readTimeout    a request whose line and headers have not all arrived this long after its
 *                       first byte is refused and its connection closed (slow or stalled clients)
 * @param maxHeaderBytes the largest request line plus headers; larger gets 431
 * @param maxUriBytes    the longest request URI; longer gets 414
 * @param maxConnections the most open connections; past it the server stops accepting until one closes
 * @param gzipMinBytes   answers at least this long are gzipped when the client accepts gzip; 0: never
 * @param tls            TLS, or {@link Tls#NONE}
 */
public record HttpSettings(String bind, int port, String token, Duration idleTimeout, Duration readTimeout,
                           int maxHeaderBytes, int maxUriBytes, int maxConnections, int gzipMinBytes, Tls tls) {

    /** The defaults for everything but the address and the token (tests). */
    public HttpSettings(String bind, int port, String token) {
        this(bind, port, token, Duration.ofSeconds(30), Duration.ofSeconds(10), 8192, 4096, 1024, 4096, Tls.NONE);
    }

    /** Whether requests must carry {@link #token}. */
    public boolean hasToken() {
        return !token.isEmpty();
    }

    /** The scheme instances call each other with. */
    public String scheme() {
        return tls.enabled() ? "https" : "http";
    }

    /**
     * TLS for the API and for calls between instances ({@code engagement.http.tls.*}).
     *
     * @param keystore           this instance's key and certificate chain (PKCS12 or JKS), or empty: no TLS
     * @param keystorePassword   its password (also the key's)
     * @param truststore         the certificates trusted for other instances (and clients, with client
     *                           auth), or empty: the JVM's default trust
     * @param truststorePassword its password
     * @param clientAuth         {@code none}, {@code want} or {@code need} a client certificate
     */
    public record Tls(String keystore, String keystorePassword, String truststore, String truststorePassword,
                      String clientAuth) {

        public static final Tls NONE = new Tls("", "", "", "", "none");

        public boolean enabled() {
            return !keystore.isEmpty();
        }
    }
}
