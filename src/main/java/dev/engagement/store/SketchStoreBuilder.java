package dev.engagement.store;

import dev.engagement.sketch.Sketches;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.HashMap;
import java.util.Map;

/**
 * Builds a {@link SketchStore}: a persistent, logged RocksDB key-value store wrapped by the live
 * sketch layer. Caching is always off (the live layer is the cache); logging is always on.
 */
public final class SketchStoreBuilder implements StoreBuilder<SketchStore> {

    private final StoreBuilder<KeyValueStore<Bytes, byte[]>> inner;
    private final Sketches sketches;
    private final Map<String, String> logConfig;

    public SketchStoreBuilder(String name, Sketches sketches) {
        this(name, sketches, Map.of());
    }

    public SketchStoreBuilder(String name, Sketches sketches, Map<String, String> logConfig) {
        this.logConfig = new HashMap<>(logConfig);
        this.inner = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
            .withCachingDisabled()
            .withLoggingEnabled(this.logConfig);
        this.sketches = sketches;
    }

    @Override
    public StoreBuilder<SketchStore> withCachingEnabled() {
        throw new UnsupportedOperationException("the sketch store is its own cache");
    }

    @Override
    public StoreBuilder<SketchStore> withCachingDisabled() {
        return this;
    }

    @Override
    public StoreBuilder<SketchStore> withLoggingEnabled(Map<String, String> config) {
        logConfig.putAll(config);
        inner.withLoggingEnabled(logConfig);
        return this;
    }

    @Override
    public StoreBuilder<SketchStore> withLoggingDisabled() {
        throw new UnsupportedOperationException("the sketch store must be logged: it is how tasks recover");
    }

    @Override
    public SketchStore build() {
        return new SketchStore(inner.build(), sketches);
    }

    @Override
    public Map<String, String> logConfig() {
        return inner.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
        return true;
    }

    @Override
    public String name() {
        return inner.name();
    }
}
