package dev.engagement.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.engagement.avro.Ping;
import dev.engagement.ping.Rejection;
import dev.engagement.testing.Pings;
import dev.engagement.testing.RegistryServer;

import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@link ConfluentRegistryClient} and the Avro wire codecs against a real registry (Apicurio's
 * Confluent-compatible API). Every test uses its own subjects, so the order of tests does not
 * matter; a fresh client per test keeps its caches from hiding what the server answers.
 */
class ConfluentRegistryClientIT {

    @RegisterExtension
    static final RegistryServer REGISTRY = new RegistryServer();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema PING = Ping.getClassSchema();
    private static final Ping A_PING = Pings.ping("c0ffee00-0000-4000-8000-000000000001",
        Instant.parse("2026-10-01T12:34:56.789Z"), LocalDate.of(2026, 10, 1), "release", "Linux");

    /** Generic records that hold the ping's Instant and LocalDate values, as the generated class does. */
    private static final GenericData WITH_TIME_CONVERSIONS = new GenericData();

    static {
        WITH_TIME_CONVERSIONS.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        WITH_TIME_CONVERSIONS.addLogicalTypeConversion(new TimeConversions.DateConversion());
    }

    private ConfluentRegistryClient client;
    private String subject;

    @BeforeEach
    void setUp(TestInfo test) {
        client = new ConfluentRegistryClient(REGISTRY.url(), null);
        subject = "it." + test.getTestMethod().orElseThrow().getName() + "-value";
    }

    private ConfluentRegistryClient freshClient() {
        return new ConfluentRegistryClient(REGISTRY.url(), null);
    }

    @Test
    void registersThePingSchemaAndFindsItAgain() {
        int id = client.register(subject, PING);
        assertThat(id).isPositive();

        // A fresh client has no cache: the server itself must answer with the same id.
        assertThat(freshClient().register(subject, PING)).isEqualTo(id);

        Schema fetched = freshClient().schemaById(id);
        assertThat(fetched).isEqualTo(PING);
        assertThat(fetched.getField("submission_timestamp").schema().getLogicalType())
            .isEqualTo(LogicalTypes.timestampMillis());

        SchemaRegistry.RegisteredSchema latest = freshClient().latest(subject);
        assertThat(latest.subject()).isEqualTo(subject);
        assertThat(latest.version()).isEqualTo(1);
        assertThat(latest.id()).isEqualTo(id);
        assertThat(latest.schema()).isEqualTo(PING);
    }

    @Test
    void aTrailingSlashInTheBaseUrlIsIgnored() {
        int id = client.register(subject, PING);
        ConfluentRegistryClient slashed = new ConfluentRegistryClient(REGISTRY.url() + "/", null);
        assertThat(slashed.baseUrl()).isEqualTo(REGISTRY.url());
        assertThat(slashed.schemaById(id)).isEqualTo(PING);
    }

    @Test
    void anUnknownSubjectIsConfluentError40401() {
        SchemaRegistryException e = catchThrowableOfType(SchemaRegistryException.class,
            () -> client.latest("it.no-such-subject-value"));
        assertThat(e).isNotNull();
        assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SUBJECT_NOT_FOUND);
        assertThat(e.isNotFound()).isTrue();
    }

    @Test
    void anUnknownIdIsNotFound() {
        SchemaRegistryException e = catchThrowableOfType(SchemaRegistryException.class,
            () -> client.schemaById(987_654));
        assertThat(e).isNotNull();
        assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
        assertThat(e.isNotFound()).isTrue();
    }

    @Test
    void anEvolvedPingIsAcceptedUnderBackwardCompatibilityAndAnIncompatibleOneIsRefused() throws Exception {
        int v1 = client.register(subject, PING);
        // Apicurio's default compatibility is NONE (Confluent's is BACKWARD): ask for BACKWARD, so
        // that "accepted" means something.
        putCompatibility(subject, "BACKWARD");

        Schema evolved = evolvedPing();
        int v2 = client.register(subject, evolved);
        assertThat(v2).isPositive().isNotEqualTo(v1);
        SchemaRegistry.RegisteredSchema latest = freshClient().latest(subject);
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.id()).isEqualTo(v2);
        assertThat(latest.schema()).isEqualTo(evolved);

        SchemaRegistryException refused = catchThrowableOfType(SchemaRegistryException.class,
            () -> client.register(subject, incompatiblePing()));
        assertThat(refused).isNotNull();
        assertThat(refused.errorCode()).isEqualTo(SchemaRegistryException.INCOMPATIBLE_SCHEMA);
        assertThat(refused.isNotFound()).isFalse();
        assertThat(freshClient().latest(subject).version()).isEqualTo(2);
    }

    @Test
    void aPingRoundTripsThroughTheSerializerAndTheDecoder() throws Exception {
        String topic = "it.pings-roundtrip";
        byte[] bytes = new AvroWireSerializer<Ping>(client, PING).serialize(topic, A_PING);

        assertThat(bytes[0]).isEqualTo(WireFormat.MAGIC);
        SchemaRegistry.RegisteredSchema registered = freshClient().latest(AvroWireSerializer.subject(topic));
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(registered.id());

        Ping decoded = new PingDecoder(freshClient()).decode(bytes);
        assertThat(decoded).isEqualTo(A_PING);
    }

    @Test
    void bytesWrittenWithAnEvolvedSchemaDecodeIntoAPing() throws Exception {
        Schema evolved = evolvedPing();
        client.register(subject, PING);
        int id = client.register(subject, evolved);

        GenericRecord record = new GenericData.Record(evolved);
        for (Schema.Field field : PING.getFields()) {
            record.put(field.name(), A_PING.get(field.name()));
        }
        record.put("build_id", "20261001000000");
        byte[] bytes = frame(id, evolved, record);

        Ping decoded = new PingDecoder(freshClient()).decode(bytes);
        assertThat(decoded).isEqualTo(A_PING);
    }

    @Test
    void anIncompatibleWriterSchemaIsRejected() {
        Schema incompatible = incompatiblePing();
        // Under its own subject (the default compatibility lets it in), as a misconfigured producer would.
        int id = client.register(subject, incompatible);
        GenericRecord record = new GenericData.Record(incompatible);
        record.put("client_id", 42);
        record.put("submission_timestamp", A_PING.getSubmissionTimestamp().toEpochMilli());
        byte[] bytes = frame(id, incompatible, record);

        assertThatThrownBy(() -> new PingDecoder(freshClient()).decode(bytes))
            .isInstanceOfSatisfying(PingDecoder.RejectedException.class,
                e -> assertThat(e.rejection()).isEqualTo(Rejection.INCOMPATIBLE_SCHEMA));
    }

    @Test
    void anUnknownSchemaIdIsRejected() {
        byte[] bytes = new byte[] {WireFormat.MAGIC, 0, 0x0f, 0x12, 0x34, 2, 'a'};
        PingDecoder decoder = new PingDecoder(client);
        assertThatThrownBy(() -> decoder.decode(bytes))
            .isInstanceOfSatisfying(PingDecoder.RejectedException.class,
                e -> assertThat(e.rejection()).isEqualTo(Rejection.UNKNOWN_SCHEMA_ID));
    }

    @Test
    void aUrlWithoutTheApiPrefixIsNotMistakenForAnUnknownId() {
        // A registry URL that lacks Apicurio's /apis/ccompat/v7 answers 404 to every call. That
        // is a misconfiguration, not "this schema id does not exist": a decoder must not
        // dead-letter every good ping because of it.
        ConfluentRegistryClient misconfigured = new ConfluentRegistryClient(REGISTRY.root(), null);
        SchemaRegistryException e = catchThrowableOfType(SchemaRegistryException.class,
            () -> misconfigured.schemaById(1));
        assertThat(e).isNotNull();
        assertThat(e.isNotFound()).as("not found? error code %d", e.errorCode()).isFalse();

        byte[] bytes = new byte[] {WireFormat.MAGIC, 0, 0, 0, 1, 2, 'a'};
        assertThatThrownBy(() -> new PingDecoder(misconfigured).decode(bytes))
            .isInstanceOf(SchemaRegistryException.class);
    }

    @Test
    void anUnreachableRegistryIsUnreachableAndStopsTheDecoder() {
        int closedPort = closedPort();
        ConfluentRegistryClient unreachable =
            new ConfluentRegistryClient("http://127.0.0.1:" + closedPort + RegistryServer.CCOMPAT_PATH, null);

        long started = System.nanoTime();
        SchemaRegistryException e = catchThrowableOfType(SchemaRegistryException.class,
            () -> unreachable.schemaById(1));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(e).isNotNull();
        assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.UNREACHABLE);
        assertThat(e.isNotFound()).isFalse();
        assertThat(took).isLessThan(Duration.ofSeconds(5));

        // Not a property of the record: the decoder lets it through instead of rejecting the ping.
        byte[] bytes = new byte[] {WireFormat.MAGIC, 0, 0, 0, 1, 2, 'a'};
        assertThatThrownBy(() -> new PingDecoder(unreachable).decode(bytes))
            .isInstanceOfSatisfying(SchemaRegistryException.class,
                x -> assertThat(x.errorCode()).isEqualTo(SchemaRegistryException.UNREACHABLE));
    }

    /** The ping schema with one more optional field, build_id, second so that the fields after it shift. */
    private static Schema evolvedPing() {
        try {
            ObjectNode json = (ObjectNode) JSON.readTree(PING.toString());
            ObjectNode extra = JSON.createObjectNode().put("name", "build_id");
            extra.putArray("type").add("null").add("string");
            extra.putNull("default");
            ((ArrayNode) json.get("fields")).insert(1, extra);
            return new Schema.Parser().parse(json.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A "Ping" whose client_id is an int: it cannot be read as our ping. */
    private static Schema incompatiblePing() {
        return new Schema.Parser().parse("""
            {"type": "record", "name": "Ping", "namespace": "dev.engagement.avro", "fields": [
              {"name": "client_id", "type": "int"},
              {"name": "submission_timestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}}
            ]}""");
    }

    private static byte[] frame(int id, Schema writerSchema, GenericRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = new byte[WireFormat.HEADER_SIZE];
        WireFormat.writeHeader(header, id);
        out.writeBytes(header);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new GenericDatumWriter<GenericRecord>(writerSchema, WITH_TIME_CONVERSIONS).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void putCompatibility(String subject, String level) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(REGISTRY.url() + "/config/" + subject))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(
                    JSON.createObjectNode().put("compatibility", level).toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("compatibility").asText()).isEqualTo(level);
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
