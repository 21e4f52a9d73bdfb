package dev.engagement.cli;

import dev.engagement.registry.ConfluentRegistryClient;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.registry.SchemaRegistry;

import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** Where produced pings go: brokers, topic, schema registry, extra producer properties. */
final class ProducerOptions {

    @Option(names = "--bootstrap-servers", description = "Kafka brokers, host:port[,host:port].")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "pings", description = "Topic to produce to (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--schema-registry", description = "Confluent-compatible registry URL; default: the embedded"
        + " registry's ids (the ping schema is id 1), as the demo and an app with engagement.schema-registry.url=embedded use.")
    String schemaRegistry;

    @Option(names = "--property", description = "Extra producer property key=value (repeatable), e.g. security settings.")
    Map<String, String> properties = new LinkedHashMap<>();

    Properties kafka() {
        Properties p = new Properties();
        p.putAll(properties);
        p.put("bootstrap.servers", bootstrapServers);
        return p;
    }

    SchemaRegistry registry() {
        return schemaRegistry == null ? new EmbeddedSchemaRegistry() : new ConfluentRegistryClient(schemaRegistry, null);
    }
}
