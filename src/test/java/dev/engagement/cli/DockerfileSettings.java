package dev.engagement.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The runtime stage of the {@code Dockerfile} (after its last {@code FROM}), read instruction by
 * instruction: what the deployment files must agree with.
 *
 * @param env         its {@code ENV} variables
 * @param user        its {@code USER}
 * @param volume      its {@code VOLUME}
 * @param expose      its {@code EXPOSE}d port
 * @param healthcheck its {@code HEALTHCHECK} line
 * @param cmd         its {@code CMD} line
 */
record DockerfileSettings(Map<String, String> env, String user, String volume, int expose, String healthcheck, String cmd) {

    private static final Pattern ENV = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    static DockerfileSettings read() {
        List<String> instructions = new ArrayList<>();
        try {
            StringBuilder current = new StringBuilder();
            for (String line : Files.readAllLines(Path.of("Dockerfile"))) {
                if (line.isBlank() || line.stripLeading().startsWith("#")) {
                    continue;
                }
                current.append(line.strip());
                if (line.endsWith("\\")) {
                    current.setLength(current.length() - 1);
                } else {
                    instructions.add(current.toString());
                    current.setLength(0);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int from = 0;
        for (int i = 0; i < instructions.size(); i++) {
            if (instructions.get(i).startsWith("FROM ")) {
                from = i;
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        String user = null;
        String volume = null;
        int expose = -1;
        String healthcheck = null;
        String cmd = null;
        for (String instruction : instructions.subList(from, instructions.size())) {
            String rest = instruction.substring(instruction.indexOf(' ') + 1).strip();
            switch (instruction.substring(0, instruction.indexOf(' '))) {
                case "ENV" -> {
                    Matcher m = ENV.matcher(rest);
                    while (m.find()) {
                        env.put(m.group(1), m.group(2));
                    }
                }
                case "USER" -> user = rest;
                case "VOLUME" -> volume = rest;
                case "EXPOSE" -> expose = Integer.parseInt(rest);
                case "HEALTHCHECK" -> healthcheck = rest;
                case "CMD" -> cmd = rest;
                default -> {
                }
            }
        }
        return new DockerfileSettings(env, user, volume, expose, healthcheck, cmd);
    }
}
