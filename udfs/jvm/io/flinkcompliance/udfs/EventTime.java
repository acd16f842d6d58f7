package io.flinkcompliance.udfs;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.Month;
import java.time.Year;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.table.utils.DateTimeUtils;

/**
 * A message's event time, as SQL function {@code event_time_ms(message, field)}: the epoch
 * milliseconds of the first {@code "field": "…"} string in the raw JSON bytes, read as
 * {@code yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}, else {@code yyyy-MM-dd'T'HH:mm:ss'Z'}; null when there
 * is none or it reads as neither.
 *
 * <p>It answers exactly what {@code COALESCE(TO_TIMESTAMP_LTZ(REGEXP_EXTRACT(CAST(message AS
 * STRING), '"field"\s*:\s*"([^"]*)"', 1), format), …)} answers over the two formats — the
 * Kafka source's event time before — at a fraction of the cost: that expression, evaluated
 * for the watermark in the source and again for the column downstream, was ~22% of the
 * streaming TaskManager's CPU samples (the regex over the whole message, then {@code
 * java.time}'s parser). Here the key is found by a byte search (JSON's structure is ASCII:
 * UTF-8 never puts an ASCII byte inside a multi-byte character), the two common shapes with
 * an in-range date and time are read digit by digit, and every other value goes to the same
 * parser Flink's {@code TO_TIMESTAMP_LTZ} calls ({@link DateTimeUtils#parseTimestampData}), so
 * its leniencies (a bare date, a day past the month's end) stay as they were.
 */
public final class EventTime extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    static final String[] FORMATS = {"yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'"};

    private transient String field;
    private transient byte[] key;

    public Long eval(byte[] message, String name) {
        if (message == null || name == null) {
            return null;
        }
        if (!name.equals(field)) {
            field = name;
            key = ("\"" + name + "\"").getBytes(StandardCharsets.UTF_8);
        }
        return of(message, key);
    }

    /** The event time of {@code message} under the quoted key {@code key}, or null. */
    public static Long of(byte[] message, byte[] key) {
        int from = 0;
        while (true) {
            int at = indexOf(message, key, from);
            if (at < 0) {
                return null;
            }
            int i = skipBlanks(message, at + key.length);
            if (i < message.length && message[i] == ':') {
                i = skipBlanks(message, i + 1);
                if (i < message.length && message[i] == '"') {
                    int end = indexOf(message, (byte) '"', i + 1);
                    if (end >= 0) {
                        return parse(message, i + 1, end);
                    }
                }
            }
            from = at + 1; // the regex would try the next occurrence
        }
    }

    /** Epoch milliseconds of the text in [begin, end), as the two formats read it, or null. */
    static Long parse(byte[] b, int begin, int end) {
        int n = end - begin;
        if (n == 24 && b[begin + 19] == '.' && b[begin + 23] == 'Z') {
            int ms = digits(b, begin + 20, 3);
            if (ms >= 0) {
                long base = fixed(b, begin);
                if (base != Long.MIN_VALUE) {
                    return base + ms;
                }
            }
        } else if (n == 20 && b[begin + 19] == 'Z') {
            long base = fixed(b, begin);
            if (base != Long.MIN_VALUE) {
                return base;
            }
        }
        return slow(new String(b, begin, n, StandardCharsets.UTF_8));
    }

    /** The same answer as before, for every value the fast path does not read itself. */
    static Long slow(String text) {
        for (String format : FORMATS) {
            TimestampData found = DateTimeUtils.parseTimestampData(text, format);
            if (found != null) {
                return found.getMillisecond();
            }
        }
        return null;
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ss} at {@code at} in epoch milliseconds, or Long.MIN_VALUE when
     * its shape or a field is out of the plain range (then the slow path decides).
     */
    private static long fixed(byte[] b, int at) {
        if (b[at + 4] != '-' || b[at + 7] != '-' || b[at + 10] != 'T' || b[at + 13] != ':'
                || b[at + 16] != ':') {
            return Long.MIN_VALUE;
        }
        int year = digits(b, at, 4);
        int month = digits(b, at + 5, 2);
        int day = digits(b, at + 8, 2);
        int hour = digits(b, at + 11, 2);
        int minute = digits(b, at + 14, 2);
        int second = digits(b, at + 17, 2);
        if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return Long.MIN_VALUE;
        }
        if (day > Month.of(month).length(Year.isLeap(year))) {
            return Long.MIN_VALUE;
        }
        long days = LocalDate.of(year, month, day).toEpochDay();
        return days * 86_400_000L + hour * 3_600_000L + minute * 60_000L + second * 1_000L;
    }

    /** The number of {@code width} ASCII digits at {@code at}, or -1. */
    private static int digits(byte[] b, int at, int width) {
        int value = 0;
        for (int k = 0; k < width; k++) {
            int d = b[at + k] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            value = value * 10 + d;
        }
        return value;
    }

    /** Java regex's {@code \s}: space, \t, \n, \u000B, \f, \r. */
    private static int skipBlanks(byte[] b, int i) {
        while (i < b.length && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r'))) {
            i++;
        }
        return i;
    }

    private static int indexOf(byte[] b, byte c, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] b, byte[] key, int from) {
        int last = b.length - key.length;
        byte first = key[0];
        outer:
        for (int i = from; i <= last; i++) {
            if (b[i] != first) {
                continue;
            }
            for (int k = 1; k < key.length; k++) {
                if (b[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
