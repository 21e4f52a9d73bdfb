package dev.engagement.http;

import dev.engagement.query.DimensionsAnswer;
import dev.engagement.query.EngagementAnswer;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.Metric;
import dev.engagement.query.ReleaseAnswer;
import dev.engagement.query.ReleaseMetric;
import dev.engagement.query.ReleaseQuery;
import dev.engagement.sketch.Estimate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The API's answers as JSON, field by field (the fields and their order are the API's contract: see
 * docs/http-api.md). Every estimate is written with its bounds, {@code {"estimate", "lower", "upper"}}.
 */
final class AnswerJson {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AnswerJson() {
    }

    /** {@code {"error": message}}. */
    static byte[] error(String message) throws JsonProcessingException {
        return write(Map.of("error", message));
    }

    /** Plain JSON-able values (maps, lists, strings, numbers). */
    static byte[] write(Object value) throws JsonProcessingException {
        return JSON.writeValueAsBytes(value);
    }

    /** {@code /v1/engagement}'s answer to the query as parsed. */
    static byte[] engagement(EngagementQuery query, EngagementAnswer answer, int lowSampleThreshold, long tookMs)
        throws JsonProcessingException {
        ObjectNode root = JSON.createObjectNode();
        root.put("from", query.from().toString()).put("to", query.to().toString());
        ArrayNode metrics = root.putArray("metrics");
        query.metrics().forEach(m -> metrics.add(m.jsonName()));
        ArrayNode groupBy = root.putArray("groupBy");
        query.groupBy().forEach(groupBy::add);
        ObjectNode filters = root.putObject("filters");
        query.filters().forEach((k, v) -> {
            ArrayNode values = filters.putArray(k);
            v.forEach(values::add);
        });
        root.put("complete", answer.complete());
        ObjectNode partitions = root.putObject("partitions").put("total", answer.partitions())
            .put("answered", answer.partitionsAnswered());
        // Read from a standby (or a restoring task): open days as of that partition's last commit.
        ArrayNode standby = partitions.putArray("standby");
        answer.standbyPartitions().forEach(standby::add);
        root.put("lowSampleThreshold", lowSampleThreshold);
        if (!answer.notRecorded().isEmpty()) {
            // Days whose sketches were written under a dimension list without a dimension asked about.
            ObjectNode notRecorded = root.putObject("notRecorded");
            List<String> reasons = new ArrayList<>();
            answer.notRecorded().forEach((dim, days) -> {
                ArrayNode list = notRecorded.putArray(dim);
                days.forEach(d -> list.add(d.toString()));
                reasons.add(dim + " was not recorded by some sketches of " + days.size() + " day(s) from "
                    + days.get(0) + " to " + days.get(days.size() - 1));
            });
            root.put("reason", String.join("; ", reasons) + " (written under an earlier engagement.dimensions): "
                + "a filter on it leaves them out, a group-by shows them as " + EngagementAnswer.NOT_RECORDED);
        }
        ArrayNode rows = root.putArray("rows");
        for (EngagementAnswer.Row row : answer.rows()) {
            ObjectNode r = rows.addObject();
            ObjectNode group = r.putObject("group");
            row.group().forEach(group::put);
            r.put("day", row.day().toString());
            for (Map.Entry<Metric, Estimate> e : row.metrics().entrySet()) {
                estimate(r.putObject(e.getKey().jsonName()), e.getValue());
            }
            r.put("lowSample", row.lowSample()).put("complete", row.complete());
            if (!row.notRecorded().isEmpty()) {
                ArrayNode missing = r.putArray("notRecorded");
                row.notRecorded().forEach(missing::add);
            }
        }
        root.put("tookMs", tookMs);
        return JSON.writeValueAsBytes(root);
    }

    /** {@code /v1/releases}' answer to the query as parsed. */
    static byte[] releases(ReleaseQuery query, ReleaseAnswer answer, long tookMs) throws JsonProcessingException {
        ObjectNode root = JSON.createObjectNode();
        root.put("dimension", query.dimension());
        ObjectNode filters = root.putObject("filters");
        query.filters().forEach((k, v) -> {
            ArrayNode values = filters.putArray(k);
            v.forEach(values::add);
        });
        ArrayNode metrics = root.putArray("metrics");
        query.metrics().forEach(m -> metrics.add(m.jsonName()));
        root.putObject("ages").put("from", query.fromAge()).put("to", query.toAge());
        root.put("newestDay", answer.newestDay() == null ? null : answer.newestDay().toString());
        ArrayNode versions = root.putArray("versions");
        for (ReleaseAnswer.Version v : answer.versions()) {
            versions.addObject().put("version", v.version()).put("releaseDay", v.releaseDay().toString())
                .put("releaseDayGiven", v.given()).put("age", v.age());
        }
        root.put("complete", answer.complete());
        ObjectNode partitions = root.putObject("partitions").put("total", answer.partitions())
            .put("answered", answer.partitionsAnswered());
        ArrayNode standby = partitions.putArray("standby");
        answer.standbyPartitions().forEach(standby::add);
        root.put("lowSampleThreshold", answer.lowSampleThreshold());
        ArrayNode rows = root.putArray("rows");
        for (ReleaseAnswer.Row row : answer.rows()) {
            ObjectNode r = rows.addObject().put("version", row.version()).put("age", row.age())
                .put("day", row.day().toString());
            row.metrics().forEach((m, e) -> estimate(r.putObject(m.jsonName()), e));
            r.put("lowSample", row.lowSample()).put("complete", row.complete());
        }
        ReleaseAnswer.Comparison c = answer.comparison();
        if (c == null) {
            root.putNull("comparison");
            root.put("comparisonNote", answer.comparisonNote());
        } else {
            ObjectNode comparison = root.putObject("comparison").put("age", c.age());
            comparison.putObject("newer").put("version", c.newer()).put("day", c.newerDay().toString());
            comparison.putObject("older").put("version", c.older()).put("day", c.olderDay().toString());
            comparison.put("complete", c.complete());
            ObjectNode compared = comparison.putObject("metrics");
            for (Map.Entry<ReleaseMetric, ReleaseAnswer.Compared> e : c.metrics().entrySet()) {
                ObjectNode m = compared.putObject(e.getKey().jsonName());
                estimate(m.putObject("newer"), e.getValue().newer());
                estimate(m.putObject("older"), e.getValue().older());
                estimate(m.putObject("difference"), e.getValue().difference());
                m.put("significant", e.getValue().significant());
            }
        }
        root.put("tookMs", tookMs);
        return JSON.writeValueAsBytes(root);
    }

    /** {@code /v1/dimensions}' answer ({@code distinctValues} only when there is a day). */
    static byte[] dimensions(DimensionsAnswer answer) throws JsonProcessingException {
        ObjectNode root = JSON.createObjectNode();
        root.put("day", answer.day() == null ? null : answer.day().toString());
        root.put("count", "distinct clients over the 28 days ending on 'day'");
        ArrayNode dims = root.putArray("dimensions");
        for (DimensionsAnswer.Dimension dimension : answer.dimensions()) {
            ObjectNode d = dims.addObject().put("name", dimension.name());
            ArrayNode values = d.putArray("values");
            if (answer.day() == null) {
                continue;
            }
            d.put("distinctValues", dimension.distinctValues());
            if (dimension.notRecorded()) {
                d.put("notRecorded", true); // some of the 28 days' sketches were written without it
            }
            for (DimensionsAnswer.Value v : dimension.values()) {
                values.addObject().put("value", v.value()).put("clients", v.clients());
            }
        }
        return JSON.writeValueAsBytes(root);
    }

    private static void estimate(ObjectNode node, Estimate e) {
        node.put("estimate", e.estimate()).put("lower", e.lower()).put("upper", e.upper());
    }
}
