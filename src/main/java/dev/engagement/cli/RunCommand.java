package dev.engagement.cli;

import dev.engagement.app.EngagementApp;
import dev.engagement.app.EngagementService;
import dev.engagement.config.ConfigException;
import dev.engagement.store.IncompatibleStateException;
import dev.engagement.config.EngagementConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/** Production: connect to an existing Kafka cluster and schema registry. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run against an existing Kafka cluster and schema registry. Every non-engagement.* key of the"
        + " config file passes straight to Kafka Streams and its clients; ENGAGEMENT_* environment variables override it.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "A .properties file.")
    Path config;

    @Option(names = "--property", paramLabel = "KEY=VALUE",
        description = "One setting (repeatable), over the config file and the environment.")
    List<String> properties = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        EngagementConfig parsed = EngagementConfig.from(ConfigFiles.load(config, System.getenv(), properties));
        if (!parsed.kafka().containsKey("bootstrap.servers")) {
            throw new ConfigException("bootstrap.servers is not set (config file or ENGAGEMENT_BOOTSTRAP_SERVERS)");
        }
        EngagementService service;
        try {
            service = EngagementService.start(parsed, EngagementApp.registryFor(parsed));
        } catch (Exception e) {
            // A wrong password or an untrusted certificate: say so in one line, naming what to check.
            String refused = AuthenticationFailures.describe(e, parsed.kafka());
            if (refused != null) {
                throw new ConfigException(refused);
            }
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean failed = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "engagement-shutdown"));
        service.app().onFailure(() -> {
            failed.set(true);
            stopped.countDown();
        });
        System.out.println("Engagement is up: http://" + parsed.http().bind() + ":" + service.httpPort());
        stopped.await();
        if (failed.get()) {
            System.err.println("engagement: " + stoppedOnError(service.app().fatalError(), parsed));
            return 1;
        }
        return 0;
    }

    /**
     * Why the streams stopped, in one line: refused credentials, state that these settings cannot
     * read (what changed and what to do), or another error (logged above).
     */
    static String stoppedOnError(Throwable fatal, EngagementConfig config) {
        String refused = AuthenticationFailures.describe(fatal, config.kafka());
        if (refused != null) {
            return refused;
        }
        IncompatibleStateException incompatible = IncompatibleStateException.in(fatal);
        return incompatible != null ? incompatible.getMessage()
            : "the streams stopped on an error (see the log above); exiting";
    }
}
