package dev.engagement.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar target/engagement.jar <command>}. */
@Command(name = "engagement", mixinStandardHelpOptions = true, version = "engagement 0.1.0",
    description = "Live DAU / WAU / MAU / engagement ratio from HyperLogLog sketches on Kafka Streams.",
    subcommands = {DemoCommand.class, RunCommand.class, QueryCommand.class, ReplayCommand.class,
        GenerateCommand.class, BenchCommand.class, LoadCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (for tests). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("engagement: " + oneLine(e));
            return 1;
        });
        return cli.execute(args);
    }

    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += ": " + root.getMessage();
        }
        return message.replace('\n', ' ');
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
