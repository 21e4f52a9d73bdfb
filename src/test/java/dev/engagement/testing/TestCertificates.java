package dev.engagement.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority and a broker certificate it signed, made with the JDK's own
 * {@code keytool} (no external tools): a PKCS12 key store for the broker (key, certificate and the
 * CA in its chain, SAN {@code DNS:localhost,IP:127.0.0.1}) and a JKS trust store holding only the
 * CA, for clients, as {@code docker/secure.properties.example} names one.
 *
 * @param brokerKeystore   PKCS12: the broker's key and its chain
 * @param keystorePassword the broker key store's password (also the key's)
 * @param truststore       JKS: the CA certificate
 * @param truststorePassword the trust store's password
 */
public record TestCertificates(Path brokerKeystore, String keystorePassword, Path truststore, String truststorePassword) {

    private static final long KEYTOOL_TIMEOUT_SECONDS = 120;

    /** Generates the CA, the broker's key and certificate, and the trust store under {@code dir}. */
    public static TestCertificates generate(Path dir, String keystorePassword, String truststorePassword)
        throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.p12");
        Path caCert = dir.resolve("ca.crt");
        Path broker = dir.resolve("broker.p12");
        Path csr = dir.resolve("broker.csr");
        Path brokerCert = dir.resolve("broker.crt");
        Path truststore = dir.resolve("truststore.jks");
        String caPassword = keystorePassword; // the CA's store never leaves the test
        // EC keys: generated in milliseconds, where RSA takes noticeably longer on a busy machine.
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=Engagement test CA", "-ext", "bc:c", "-validity", "2",
            "-storetype", "PKCS12", "-keystore", ca.toString(), "-storepass", caPassword, "-keypass", caPassword);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", caPassword,
            "-file", caCert.toString());
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=localhost", "-validity", "2",
            "-storetype", "PKCS12", "-keystore", broker.toString(), "-storepass", keystorePassword,
            "-keypass", keystorePassword);
        keytool("-certreq", "-alias", "broker", "-keystore", broker.toString(), "-storepass", keystorePassword,
            "-file", csr.toString());
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", caPassword,
            "-infile", csr.toString(), "-outfile", brokerCert.toString(), "-validity", "2",
            "-ext", "SAN=DNS:localhost,IP:127.0.0.1", "-ext", "KeyUsage=digitalSignature,keyAgreement",
            "-ext", "ExtendedKeyUsage=serverAuth,clientAuth");
        // The chain: the CA first (so that the reply can be checked), then the signed certificate.
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", broker.toString(), "-storepass", keystorePassword,
            "-file", caCert.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker", "-keystore", broker.toString(),
            "-storepass", keystorePassword, "-file", brokerCert.toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-storetype", "JKS", "-keystore", truststore.toString(),
            "-storepass", truststorePassword, "-file", caCert.toString());
        return new TestCertificates(broker, keystorePassword, truststore, truststorePassword);
    }

    /**
     * A JKS trust store holding only a CA of its own (not the one that signed the broker): a client
     * that uses it refuses the broker's certificate.
     */
    public static Path foreignTruststore(Path dir, String password) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path ca = dir.resolve("other-ca.p12");
        Path caCert = dir.resolve("other-ca.crt");
        Path truststore = dir.resolve("other-truststore.jks");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=Some other CA", "-ext", "bc:c", "-validity", "2",
            "-storetype", "PKCS12", "-keystore", ca.toString(), "-storepass", password, "-keypass", password);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", password,
            "-file", caCert.toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-storetype", "JKS", "-keystore", truststore.toString(),
            "-storepass", password, "-file", caCert.toString());
        return truststore;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes(); // ends when keytool exits (or closes its output)
        if (!p.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("keytool " + args[0] + " still running after " + KEYTOOL_TIMEOUT_SECONDS + " s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + args[0] + " exited with " + p.exitValue() + ": "
                + new String(out, StandardCharsets.UTF_8));
        }
    }
}
