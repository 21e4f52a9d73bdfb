package dev.engagement.store;

/**
 * The stored state cannot be read under the current settings or by this version: for example
 * sketches kept at another {@code engagement.sketch.lg-k}, or keys of a later format. The message says
 * what changed and what to do, in one line; the instance stops rather than write a mix.
 */
public final class IncompatibleStateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public IncompatibleStateException(String message) {
        super(message, null, false, false);
    }

    /** The first {@code IncompatibleStateException} among {@code e}'s causes, or null. */
    public static IncompatibleStateException in(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IncompatibleStateException incompatible) {
                return incompatible;
            }
        }
        return null;
    }
}
