package dev.engagement.testing;

import dev.engagement.avro.Ping;
import dev.engagement.registry.AvroWireSerializer;
import dev.engagement.registry.SchemaRegistry;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;

/** Builds pings and their wire bytes for tests. */
public final class Pings {

    private final AvroWireSerializer<Ping> serializer;
    private final String topic;

    public Pings(SchemaRegistry registry, String topic) {
        this.serializer = new AvroWireSerializer<>(registry, Ping.getClassSchema());
        this.topic = topic;
    }

    /** A ping with every dimension set. */
    public static Ping ping(String clientId, Instant submitted, LocalDate activity, String channel, String os) {
        return Ping.newBuilder()
            .setClientId(clientId)
            .setSubmissionTimestamp(submitted)
            .setActivityDate(activity)
            .setAppName("Firefox")
            .setChannel(channel)
            .setOs(os)
            .setCountry("DE")
            .setAppVersion("128.0")
            .setAttributes(Map.of())
            .build();
    }

    public byte[] bytes(Ping ping) {
        return serializer.serialize(topic, ping);
    }
}
