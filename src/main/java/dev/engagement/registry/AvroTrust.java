package dev.engagement.registry;

import dev.engagement.avro.DimensionValue;
import dev.engagement.avro.Ping;
import dev.engagement.avro.SegmentDaySketch;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Process-wide Avro settings, applied once before the first decode.
 * <ul>
 *   <li>Avro 1.12 refuses to instantiate generated classes it was not told to trust: trust ours, on
 *   top of whatever the JVM already trusts.</li>
 *   <li>Hostile bytes can claim a 2 GB string or a billion-entry map and make the decoder allocate
 *   it: cap strings at 1 MiB and collections at 100,000 items, unless the JVM sets its own
 *   {@code org.apache.avro.limits.*} properties.</li>
 * </ul>
 */
final class AvroTrust {

    private static volatile boolean done;

    private AvroTrust() {
    }

    public static void ensure() {
        if (done) {
            return;
        }
        synchronized (AvroTrust.class) {
            if (!done) {
                limit("org.apache.avro.limits.string.maxLength", 1 << 20);
                limit("org.apache.avro.limits.bytes.maxLength", 1 << 20);
                limit("org.apache.avro.limits.collectionItems.maxLength", 100_000);
                ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                    ClassSecurityValidator.getGlobal(),
                    ClassSecurityValidator.builder()
                        .add(Ping.class).add(SegmentDaySketch.class).add(DimensionValue.class)
                        .build()));
                done = true;
            }
        }
    }

    private static void limit(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }
}
