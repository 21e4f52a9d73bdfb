package dev.engagement.store;

import dev.engagement.sketch.Sketches;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.nio.file.Path;
import java.util.Properties;

/**
 * Sketch stores over a real RocksDB store (Kafka Streams' own, unlogged), outside Kafka Streams:
 * RocksDB is what queries and the stream thread share in production, reads and writes at once.
 */
public final class RocksSketchStores {

    private RocksSketchStores() {
    }

    /** A fresh, open sketch store whose RocksDB files live under {@code dir}. Close it. */
    public static SketchStore open(Path dir, int lgK) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "sketch-store-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        KeyValueStore<Bytes, byte[]> rocks = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("sketches"),
            Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().withCachingDisabled().build();
        SketchStore store = SketchStore.over(rocks, new Sketches(lgK));
        store.init(new MockProcessorContext<>(props, new TaskId(0, 0), dir.toFile()).getStateStoreContext(), store);
        return store;
    }
}
