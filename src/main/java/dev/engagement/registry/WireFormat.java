package dev.engagement.registry;

/**
 * The Confluent wire format: magic byte {@code 0}, a 4-byte big-endian schema id, then the Avro
 * binary body.
 */
public final class WireFormat {

    public static final byte MAGIC = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** The schema id of a framed record; the caller has checked the length and magic byte. */
    public static int schemaId(byte[] framed) {
        return ((framed[1] & 0xff) << 24) | ((framed[2] & 0xff) << 16) | ((framed[3] & 0xff) << 8) | (framed[4] & 0xff);
    }

    /** Writes the 5-byte header for a schema id into {@code out[0..4]}. */
    public static void writeHeader(byte[] out, int schemaId) {
        out[0] = MAGIC;
        out[1] = (byte) (schemaId >>> 24);
        out[2] = (byte) (schemaId >>> 16);
        out[3] = (byte) (schemaId >>> 8);
        out[4] = (byte) schemaId;
    }
}
