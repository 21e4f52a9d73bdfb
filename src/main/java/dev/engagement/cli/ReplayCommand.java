package dev.engagement.cli;

import dev.engagement.generate.JsonLinesPings;
import dev.engagement.registry.SchemaRegistry;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Produces pings from a JSON Lines file. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Produce pings from a JSON Lines file (Avro field names as keys; submission_timestamp ISO-8601 or"
        + " epoch millis; activity_date YYYY-MM-DD). Bad lines are reported with their number and skipped.")
final class ReplayCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The .jsonl file.")
    Path file;

    @Mixin
    ProducerOptions target = new ProducerOptions();

    @Override
    public Integer call() throws Exception {
        if (target.bootstrapServers == null) {
            throw new IllegalArgumentException("--bootstrap-servers is required");
        }
        PrintStream err = System.err;
        long started = System.nanoTime();
        SchemaRegistry registry = target.registry();
        JsonLinesPings.Result result;
        try (PingProducer producer = new PingProducer(target.kafka(), registry, target.topic)) {
            result = JsonLinesPings.read(file, ping -> {
                producer.send(ping);
                if (producer.sent() % 100_000 == 0) {
                    double seconds = (System.nanoTime() - started) / 1e9;
                    err.printf("replay: %,d pings produced (%,.0f/s)%n", producer.sent(), producer.sent() / seconds);
                }
            }, (line, reason) -> err.println(file + ":" + line + ": skipped: " + reason));
            producer.flush();
        }
        System.out.printf("replay: %,d lines, %,d pings produced to %s, %,d bad lines skipped, %.1f s%n",
            result.lines(), result.pings(), target.topic, result.badLines(), (System.nanoTime() - started) / 1e9);
        return 0;
    }
}
