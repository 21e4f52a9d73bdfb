package dev.engagement.registry;

import dev.engagement.avro.DimensionValue;
import dev.engagement.avro.Ping;
import dev.engagement.avro.SegmentDaySketch;

import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class EmbeddedSchemaRegistryTest {

    private final EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();

    @Test
    void theBuiltInSchemasHaveIdsOneAndTwo() {
        // The registry serves the .avsc files; the generated classes' schemas differ from them only
        // by Java-only properties (avro.java.string), so compare their parsing forms.
        assertThat(SchemaNormalization.toParsingForm(registry.schemaById(1)))
            .isEqualTo(SchemaNormalization.toParsingForm(Ping.getClassSchema()));
        assertThat(SchemaNormalization.toParsingForm(registry.schemaById(2)))
            .isEqualTo(SchemaNormalization.toParsingForm(SegmentDaySketch.getClassSchema()));
        assertThat(registry.schemaById(1).getField("submission_timestamp").schema().getLogicalType())
            .isEqualTo(LogicalTypes.timestampMillis());
        assertThat(registry.schemaById(1).getField("activity_date").defaultVal()).isEqualTo(JsonProperties.NULL_VALUE);
    }

    @Test
    void theGeneratedClassesSchemasAreTheBuiltInOnes() {
        // Our serializers register Ping.getClassSchema(), which carries avro.java.string: it must
        // still be id 1, or the "ping is id 1" promise depends on who registered first.
        assertThat(Ping.getClassSchema().toString()).contains("avro.java.string");
        assertThat(registry.register("pings-value", Ping.getClassSchema())).isEqualTo(1);
        assertThat(registry.register("sketches-value", SegmentDaySketch.getClassSchema())).isEqualTo(2);
        // A schema that really differs (here only by a doc) still gets its own id.
        Schema otherDoc = new Schema.Parser().parse(Ping.getClassSchema().toString()
            .replace("Application name, e.g. Firefox.", "Application name."));
        assertThat(registry.register("pings-value", otherDoc)).isEqualTo(3);
        assertThat(registry.latest("pings-value").version()).isEqualTo(2);
    }

    @Test
    void registeringABuiltInSchemaGivesItsIdAndAFirstVersion() {
        assertThat(registry.register("pings-value", Ping.getClassSchema())).isEqualTo(1);
        assertThat(registry.register("pings-value", Ping.getClassSchema())).isEqualTo(1);
        assertThat(registry.register("sketches-value", SegmentDaySketch.getClassSchema())).isEqualTo(2);

        SchemaRegistry.RegisteredSchema latest = registry.latest("pings-value");
        assertThat(latest.subject()).isEqualTo("pings-value");
        assertThat(latest.version()).isEqualTo(1);
        assertThat(latest.id()).isEqualTo(1);
        assertThat(latest.schema()).isSameAs(registry.schemaById(1));
    }

    @Test
    void aNewSchemaGetsTheNextIdAndANewVersion() {
        registry.register("pings-value", Ping.getClassSchema());
        Schema other = new Schema.Parser().parse("""
            {"type": "record", "name": "Other", "namespace": "test", "fields": [{"name": "x", "type": "int"}]}""");
        assertThat(registry.register("pings-value", other)).isEqualTo(3);
        // The same schema under another subject keeps its id, as in Confluent's registry.
        assertThat(registry.register("others-value", other)).isEqualTo(3);

        SchemaRegistry.RegisteredSchema latest = registry.latest("pings-value");
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.id()).isEqualTo(3);
        assertThat(latest.schema()).isEqualTo(other);
        assertThat(registry.schemaById(3)).isEqualTo(other);
        assertThat(registry.latest("others-value").version()).isEqualTo(1);
    }

    @Test
    void anUnknownSubjectIs40401() {
        SchemaRegistryException e = catchThrowableOfType(SchemaRegistryException.class,
            () -> registry.latest("nobody-value"));
        assertThat(e).isNotNull();
        assertThat(e.errorCode()).isEqualTo(40401).isEqualTo(SchemaRegistryException.SUBJECT_NOT_FOUND);
        assertThat(e.isNotFound()).isTrue();
    }

    @Test
    void anUnknownIdIs40403() {
        for (int id : new int[] {0, 3, -1, Integer.MAX_VALUE}) {
            SchemaRegistryException e = catchThrowableOfType(SchemaRegistryException.class,
                () -> registry.schemaById(id));
            assertThat(e).as("id %d", id).isNotNull();
            assertThat(e.errorCode()).isEqualTo(40403).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
            assertThat(e.isNotFound()).isTrue();
        }
    }

    @Test
    void aSegmentDaySketchRoundTripsThroughTheWireSerdes() {
        SegmentDaySketch sketch = SegmentDaySketch.newBuilder()
            .setDimensions(List.of(
                DimensionValue.newBuilder().setName("channel").setValue("release").build(),
                DimensionValue.newBuilder().setName("attributes.branch").setValue("(none)").build()))
            .setDay(LocalDate.of(2026, 10, 1))
            .setSketch(ByteBuffer.wrap(new byte[] {2, 1, 7, 12, 3, 8, 42, 0, -1, 17}))
            .setLgK(12)
            .setEstimate(3.0)
            .setLower(3.0)
            .setUpper(3.0001)
            .setUpdatedAt(Instant.parse("2026-10-02T00:00:01.250Z"))
            .setFinal$(true)
            .build();

        byte[] bytes = new AvroWireSerializer<SegmentDaySketch>(registry, SegmentDaySketch.getClassSchema())
            .serialize("sketches", sketch);
        assertThat(bytes[0]).isEqualTo(WireFormat.MAGIC);
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(2);
        assertThat(registry.latest(AvroWireSerializer.subject("sketches")).id()).isEqualTo(2);

        AvroWireDeserializer<SegmentDaySketch> deserializer =
            new AvroWireDeserializer<>(registry, SegmentDaySketch.getClassSchema());
        SegmentDaySketch decoded = deserializer.deserialize("sketches", bytes);
        assertThat(decoded).isEqualTo(sketch);
        assertThat(decoded.getSketch().remaining()).isEqualTo(10);
        assertThat(decoded.getDay()).isEqualTo(LocalDate.of(2026, 10, 1));
        assertThat(decoded.getUpdatedAt()).isEqualTo(Instant.parse("2026-10-02T00:00:01.250Z"));
    }

    @Test
    void theWireSerdesPassNullsAndRefuseForeignBytes() {
        AvroWireSerializer<SegmentDaySketch> serializer =
            new AvroWireSerializer<>(registry, SegmentDaySketch.getClassSchema());
        AvroWireDeserializer<SegmentDaySketch> deserializer =
            new AvroWireDeserializer<>(registry, SegmentDaySketch.getClassSchema());
        assertThat(serializer.serialize("sketches", null)).isNull();
        assertThat(deserializer.deserialize("sketches", null)).isNull();
        assertThatThrownBy(() -> deserializer.deserialize("sketches", new byte[] {1, 0, 0, 0, 2, 0}))
            .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> deserializer.deserialize("sketches", new byte[] {0, 0, 0}))
            .isInstanceOf(SerializationException.class);

        byte[] truncated = Arrays.copyOf(serializer.serialize("sketches", SegmentDaySketch.newBuilder()
            .setDimensions(List.of()).setDay(LocalDate.of(2026, 1, 1)).setSketch(ByteBuffer.allocate(0))
            .setLgK(12).setEstimate(0).setLower(0).setUpper(0).setUpdatedAt(Instant.EPOCH).setFinal$(false)
            .build()), 8);
        assertThatThrownBy(() -> deserializer.deserialize("sketches", truncated))
            .isInstanceOf(SerializationException.class);
    }
}
