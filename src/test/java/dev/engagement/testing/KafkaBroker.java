package dev.engagement.testing;

import dev.engagement.app.EmbeddedKafka;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;

/**
 * One real in-process KRaft broker per test class:
 * {@code @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();}
 */
public final class KafkaBroker implements BeforeAllCallback, AfterAllCallback {

    private EmbeddedKafka kafka;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = EmbeddedKafka.start(Files.createTempDirectory("engagement-broker"), false);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        kafka.close();
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }
}
