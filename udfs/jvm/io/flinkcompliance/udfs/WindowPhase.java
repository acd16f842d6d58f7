package io.flinkcompliance.udfs;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * Where a group key's k-anonymity windows start within the window size: tumbling windows of
 * every key, each shifted by its own phase, so that the keys' windows do not all close at the
 * same instant (when they did, a minute of records was released at once and alerts arriving
 * meanwhile waited seconds for the CPU). The same function places windows in both runtime modes:
 * the streaming operator (KAnonymityWindows) and, as SQL function {@code window_phase}, a BATCH
 * run over a CSV.
 */
public final class WindowPhase extends ScalarFunction {
    private static final long serialVersionUID = 1L;

    /** The phase in [0, windowMillis) of a key (null is the empty key). */
    public static long of(String key, long windowMillis) {
        int hash = key == null ? 0 : key.hashCode();
        return Math.floorMod((long) hash * 0x9E3779B1L, windowMillis);
    }

    /** The first millisecond of the window that holds {@code timestamp} for this key. */
    public static long windowStart(String key, long timestamp, long windowMillis) {
        long phase = of(key, windowMillis);
        return timestamp - Math.floorMod(timestamp - phase, windowMillis);
    }

    public Long eval(String key, Long timestamp, Long windowMillis) {
        if (timestamp == null || windowMillis == null) {
            return null;
        }
        return windowStart(key, timestamp, windowMillis);
    }
}
