package dev.engagement.cli;

import dev.engagement.app.EngagementApp;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line for an operator when Kafka refuses this instance's credentials or TLS handshake: what
 * failed, against which servers, and which settings to check. Never quotes a secret: only the
 * user name is read from {@code sasl.jaas.config}; the rest comes from Kafka's messages, which
 * name no password.
 */
final class AuthenticationFailures {

    private static final Pattern USERNAME = Pattern.compile("\\busername\\s*=\\s*\"([^\"]*)\"");

    private AuthenticationFailures() {
    }

    /**
     * @param failure anything thrown while starting or running
     * @param kafka   the pass-through Kafka properties
     * @return the line, or null when no {@link AuthenticationException} is in {@code failure}'s causes
     */
    static String describe(Throwable failure, Map<String, String> kafka) {
        AuthenticationException auth = EngagementApp.authenticationFailure(failure);
        if (auth == null) {
            return null;
        }
        String protocol = kafka.getOrDefault("security.protocol", "PLAINTEXT");
        String servers = "bootstrap.servers=" + kafka.getOrDefault("bootstrap.servers", "?");
        String reason = reason(auth);
        if (auth instanceof SslAuthenticationException) {
            return "the TLS handshake with Kafka failed (" + protocol + ", " + servers + "): " + reason
                + ". Check ssl.truststore.location: it must hold the CA that signed the brokers' certificates";
        }
        String mechanism = kafka.getOrDefault("sasl.mechanism", "GSSAPI");
        // Client-specific overrides (main.consumer.sasl.jaas.config, producer.sasl.jaas.config, ...) may hold
        // other users: then name none, and list every key to check.
        List<String> keys = kafka.keySet().stream().filter(k -> k.endsWith("sasl.jaas.config")).sorted().toList();
        Matcher user = USERNAME.matcher(kafka.getOrDefault("sasl.jaas.config", ""));
        String who = keys.size() <= 1 && user.find() ? "user '" + user.group(1) + "'" : "the configured credentials";
        String check = keys.size() <= 1 ? "the user name and password in sasl.jaas.config (or ENGAGEMENT_SASL_JAAS_CONFIG)"
            : "the user names and passwords in " + String.join(", ", keys);
        return "Kafka authentication failed for " + who + " (" + protocol + ", " + mechanism + ", " + servers + "): "
            + reason + ". Check " + check;
    }

    /** Kafka's message, followed by its root cause's when that adds something (e.g. PKIX path building failed). */
    private static String reason(AuthenticationException auth) {
        String message = auth.getMessage() == null ? auth.getClass().getSimpleName() : auth.getMessage();
        Throwable root = auth;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != auth && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += ": " + root.getMessage();
        }
        return message.replace('\n', ' ');
    }
}
