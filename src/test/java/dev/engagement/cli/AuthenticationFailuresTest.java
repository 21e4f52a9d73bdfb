package dev.engagement.cli;

import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLHandshakeException;

import static org.assertj.core.api.Assertions.assertThat;

class AuthenticationFailuresTest {

    private static final String PASSWORD = "pa55-that-must-not-appear";
    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required"
        + " username=\"engagement\" password=\"" + PASSWORD + "\";";
    private static final Map<String, String> SASL_SSL = Map.of(
        "bootstrap.servers", "broker-1:9093",
        "security.protocol", "SASL_SSL",
        "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", JAAS,
        "ssl.truststore.password", PASSWORD);

    @Test
    void otherFailuresAreNotDescribed() {
        assertThat(AuthenticationFailures.describe(new ExecutionException(new TimeoutException("timed out")), SASL_SSL))
            .isNull();
        assertThat(AuthenticationFailures.describe(null, SASL_SSL)).isNull();
    }

    @Test
    void refusedCredentialsNameTheUserMechanismAndServersButNoSecret() {
        String line = AuthenticationFailures.describe(new ExecutionException(new SaslAuthenticationException(
            "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512")),
            SASL_SSL);
        assertThat(line).isEqualTo("Kafka authentication failed for user 'engagement' (SASL_SSL, SCRAM-SHA-512,"
            + " bootstrap.servers=broker-1:9093): Authentication failed during authentication due to invalid credentials"
            + " with SASL mechanism SCRAM-SHA-512. Check the user name and password in sasl.jaas.config"
            + " (or ENGAGEMENT_SASL_JAAS_CONFIG)");
        assertThat(line).doesNotContain(PASSWORD).doesNotContain("\n");
    }

    @Test
    void withPerClientCredentialsNoUserIsNamedAndEveryKeyIsListed() {
        Map<String, String> kafka = new HashMap<>(SASL_SSL);
        kafka.put("producer.sasl.jaas.config", JAAS.replace("engagement", "writer"));
        kafka.put("main.consumer.sasl.jaas.config", JAAS.replace("engagement", "reader"));
        String line = AuthenticationFailures.describe(new StreamsException(new SaslAuthenticationException("refused")), kafka);
        assertThat(line).startsWith("Kafka authentication failed for the configured credentials (SASL_SSL, SCRAM-SHA-512,")
            .endsWith("Check the user names and passwords in main.consumer.sasl.jaas.config, producer.sasl.jaas.config,"
                + " sasl.jaas.config")
            .doesNotContain(PASSWORD, "reader", "writer");
    }

    @Test
    void aJaasConfigWithoutAUserNameNamesNone() {
        Map<String, String> kafka = new HashMap<>(SASL_SSL);
        kafka.put("sasl.mechanism", "OAUTHBEARER");
        kafka.put("sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
            + " clientId=\"engagement\" clientSecret=\"" + PASSWORD + "\";");
        String line = AuthenticationFailures.describe(new SaslAuthenticationException("invalid token"), kafka);
        assertThat(line).startsWith("Kafka authentication failed for the configured credentials (SASL_SSL, OAUTHBEARER,")
            .doesNotContain(PASSWORD);
    }

    @Test
    void anUntrustedCertificateIsATlsLineWithItsRootCause() {
        SslAuthenticationException ssl = new SslAuthenticationException("SSL handshake failed",
            new SSLHandshakeException("PKIX path building failed: unable to find valid certification path to requested target"));
        String line = AuthenticationFailures.describe(new ExecutionException(ssl), SASL_SSL);
        assertThat(line).isEqualTo("the TLS handshake with Kafka failed (SASL_SSL, bootstrap.servers=broker-1:9093):"
            + " SSL handshake failed: PKIX path building failed: unable to find valid certification path to requested"
            + " target. Check ssl.truststore.location: it must hold the CA that signed the brokers' certificates");
    }
}
