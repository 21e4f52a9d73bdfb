package dev.engagement.registry;

import dev.engagement.avro.SegmentDaySketch;

import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The downstream record's schema evolves compatibly: {@code trino_hll} is optional with a null default,
 * so consumers on the schema before it read new records, and new consumers read old records.
 */
class SegmentDaySketchSchemaTest {

    /** The schema before {@code trino_hll}: the current one without that field. */
    private static Schema withoutTrinoHll() {
        Schema current = SegmentDaySketch.getClassSchema();
        List<Schema.Field> fields = current.getFields().stream()
            .filter(f -> !f.name().equals("trino_hll"))
            .map(f -> new Schema.Field(f, f.schema()))
            .toList();
        return Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
    }

    @Test
    void trinoHllIsAnOptionalFieldWithANullDefault() {
        Schema.Field field = SegmentDaySketch.getClassSchema().getField("trino_hll");
        assertThat(field).isNotNull();
        assertThat(field.hasDefaultValue()).isTrue();
        assertThat(field.defaultVal()).isEqualTo(JsonProperties.NULL_VALUE);
    }

    @Test
    void newAndOldSchemasReadEachOthersRecords() {
        Schema current = SegmentDaySketch.getClassSchema();
        Schema old = withoutTrinoHll();
        assertThat(old.getField("trino_hll")).isNull();
        // Backward: the new schema reads records written with the old one.
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, old).getType())
            .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        // Forward: a consumer still on the old schema reads new records (it skips the field).
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(old, current).getType())
            .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }
}
