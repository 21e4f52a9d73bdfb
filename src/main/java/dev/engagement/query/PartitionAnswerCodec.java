package dev.engagement.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * JSON form of partition answers between instances: sketches as base64 of their canonical bytes.
 * <pre>{"partitions":[{"partition":0,"closedThrough":20300,"firstDay":20270,"standby":false,
 *   "unions":[{"group":["DE"],"day":20301,"sketch":"AgEHDAMI..."}],"notRecorded":{"20290":["locale"]}}]}</pre>
 * An answer without {@code standby} (from an instance of an earlier version) reads as live;
 * without {@code notRecorded}, as recording every dimension.
 */
public final class PartitionAnswerCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PartitionAnswerCodec() {
    }

    public static byte[] encode(List<PartitionAnswer> answers) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode parts = root.putArray("partitions");
        for (PartitionAnswer a : answers) {
            ObjectNode p = parts.addObject();
            p.put("partition", a.partition()).put("closedThrough", a.closedThrough()).put("firstDay", a.firstDay())
                .put("standby", a.standby());
            ArrayNode unions = p.putArray("unions");
            a.unions().forEach((gd, bytes) -> {
                ObjectNode u = unions.addObject();
                ArrayNode g = u.putArray("group");
                gd.group().forEach(g::add);
                u.put("day", gd.day()).put("sketch", Base64.getEncoder().encodeToString(bytes));
            });
            if (!a.notRecorded().isEmpty()) {
                ObjectNode missing = p.putObject("notRecorded");
                a.notRecorded().forEach((day, dims) -> dims.forEach(missing.withArray(Integer.toString(day))::add));
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<PartitionAnswer> decode(byte[] json) throws IOException {
        JsonNode root = JSON.readTree(json);
        List<PartitionAnswer> out = new ArrayList<>();
        for (JsonNode p : root.path("partitions")) {
            Map<PartitionAnswer.GroupDay, byte[]> unions = new TreeMap<>();
            for (JsonNode u : p.path("unions")) {
                List<String> group = new ArrayList<>();
                u.path("group").forEach(v -> group.add(v.asText()));
                unions.put(new PartitionAnswer.GroupDay(List.copyOf(group), u.path("day").asInt()),
                    Base64.getDecoder().decode(u.path("sketch").asText()));
            }
            Map<Integer, Set<String>> notRecorded = new TreeMap<>();
            p.path("notRecorded").fields().forEachRemaining(e -> {
                Set<String> dims = new TreeSet<>();
                e.getValue().forEach(v -> dims.add(v.asText()));
                notRecorded.put(Integer.parseInt(e.getKey()), dims);
            });
            out.add(new PartitionAnswer(p.path("partition").asInt(), p.path("closedThrough").asInt(-1),
                p.path("firstDay").asInt(-1), unions, p.path("standby").asBoolean(false), notRecorded));
        }
        return out;
    }
}
