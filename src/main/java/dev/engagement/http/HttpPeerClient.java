package dev.engagement.http;

import dev.engagement.config.HttpSettings;
import dev.engagement.query.BadQueryException;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.PartitionAnswer;
import dev.engagement.query.PartitionAnswerCodec;
import dev.engagement.query.PeerClient;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Calls another instance's {@code /internal/v1/partials} endpoint: over https when this instance
 * serves TLS (trusting {@code engagement.http.tls.truststore}, and presenting its own key store's
 * certificate for servers that ask for one), else over http.
 */
public final class HttpPeerClient implements PeerClient {

    private final HttpClient http;
    private final Duration timeout;
    private final String token;
    private final String scheme;

    /**
     * Plain http.
     *
     * @param token the bearer token the instances share, or empty
     */
    public HttpPeerClient(Duration timeout, String token) {
        this.timeout = timeout;
        this.token = token;
        this.scheme = "http";
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    /** As this instance's HTTP settings say: their token, and https with their TLS settings when on. */
    public HttpPeerClient(Duration timeout, HttpSettings settings) {
        this.timeout = timeout;
        this.token = settings.token();
        this.scheme = settings.scheme();
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (settings.tls().enabled()) {
            builder.sslContext(sslContext(settings.tls()));
        }
        this.http = builder.build();
    }

    /** Trusts the trust store (or the JVM's defaults without one); offers the key store's certificate. */
    static SSLContext sslContext(HttpSettings.Tls tls) {
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(load(tls.keystore(), tls.keystorePassword()), tls.keystorePassword().toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(tls.truststore().isEmpty() ? null : load(tls.truststore(), tls.truststorePassword()));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("engagement.http.tls: cannot load the key or trust store: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(String path, String password) throws IOException, GeneralSecurityException {
        // KeyStore.getInstance(File, ...) tells PKCS12 from JKS by the file's contents.
        return KeyStore.getInstance(new File(path), password.toCharArray());
    }

    @Override
    public List<PartitionAnswer> fetch(String host, EngagementQuery query, Set<Integer> partitions, int maxGroups)
        throws Exception {
        StringJoiner q = new StringJoiner("&");
        for (Map.Entry<String, List<String>> e : query.toParams().entrySet()) {
            for (String v : e.getValue()) {
                q.add(enc(e.getKey()) + "=" + enc(v));
            }
        }
        q.add("partitions=" + partitions.stream().map(String::valueOf).collect(Collectors.joining(",")));
        q.add("maxGroups=" + maxGroups);
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(scheme + "://" + host + "/internal/v1/partials?" + q))
            .timeout(timeout).GET();
        if (!token.isEmpty()) {
            builder.header("Authorization", "Bearer " + token);
        }
        HttpRequest request = builder.build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 400) {
            String message;
            try {
                message = new ObjectMapper().readTree(response.body()).path("error").asText();
            } catch (IOException e) {
                message = "bad query";
            }
            throw new BadQueryException(message);
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + " from " + host);
        }
        return PartitionAnswerCodec.decode(response.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
