package dev.engagement.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** The parts the query commands' tables share: an estimate with its bounds, a row's flags, the notes below. */
final class AnswerTable {

    private AnswerTable() {
    }

    /** {@code estimate [lower, upper]}, with three decimals for a ratio, none for a count. */
    static String estimate(JsonNode v, boolean ratio) {
        return String.format(ratio ? " %8.3f [%7.3f, %7.3f]" : " %8.0f [%7.0f, %7.0f]",
            v.path("estimate").asDouble(), v.path("lower").asDouble(), v.path("upper").asDouble());
    }

    /** A row's flags column: {@code low-sample}, {@code incomplete}, both or neither. */
    static String flags(JsonNode row) {
        List<String> flags = new ArrayList<>();
        if (row.path("lowSample").asBoolean()) {
            flags.add("low-sample");
        }
        if (!row.path("complete").asBoolean()) {
            flags.add("incomplete");
        }
        return "  " + String.join(",", flags);
    }

    /** What the whole answer says below its rows: incomplete, and partitions read from a standby. */
    static void printNotes(JsonNode root) {
        if (!root.path("complete").asBoolean()) {
            System.out.println("(incomplete: window before the data starts, a day within grace, or partitions unread: "
                + root.path("partitions").path("answered").asInt() + "/" + root.path("partitions").path("total").asInt() + ")");
        }
        if (!root.path("partitions").path("standby").isEmpty()) {
            System.out.println("(partitions " + root.path("partitions").path("standby")
                + " read from a standby: their open days are as of their last commit, up to one commit interval old)");
        }
    }
}
