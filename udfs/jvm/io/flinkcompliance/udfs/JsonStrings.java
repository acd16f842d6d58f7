package io.flinkcompliance.udfs;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON array of strings and nulls (what PackRow writes, and what the Python release plan
 * writes) read back as each element's UTF-8 bytes, null for a JSON null. Every JSON string escape
 * is understood; anything else in the array (numbers, objects, nesting) is an error.
 */
final class JsonStrings {
    private JsonStrings() {}

    static byte[][] parse(byte[] text) {
        List<byte[]> values = new ArrayList<>();
        int i = skip(text, 0);
        expect(text, i++, '[');
        i = skip(text, i);
        if (i < text.length && text[i] == ']') {
            end(text, i + 1);
            return new byte[0][];
        }
        while (true) {
            i = skip(text, i);
            if (i < text.length && text[i] == 'n') {
                if (i + 4 > text.length || text[i + 1] != 'u' || text[i + 2] != 'l' || text[i + 3] != 'l') {
                    throw error(text, i);
                }
                values.add(null);
                i += 4;
            } else {
                expect(text, i++, '"');
                ByteArrayOutputStream value = null; // only for a string with escapes
                int start = i;
                while (true) {
                    if (i >= text.length) {
                        throw error(text, i);
                    }
                    byte b = text[i];
                    if (b == '"') {
                        break;
                    }
                    if (b != '\\') {
                        i++;
                        continue;
                    }
                    if (value == null) {
                        value = new ByteArrayOutputStream();
                    }
                    value.write(text, start, i - start);
                    i = escape(text, i + 1, value);
                    start = i;
                }
                if (value == null) {
                    values.add(java.util.Arrays.copyOfRange(text, start, i));
                } else {
                    value.write(text, start, i - start);
                    values.add(value.toByteArray());
                }
                i++;
            }
            i = skip(text, i);
            if (i < text.length && text[i] == ',') {
                i++;
                continue;
            }
            expect(text, i, ']');
            end(text, i + 1);
            return values.toArray(new byte[0][]);
        }
    }

    /**
     * Where each element of a JSON array of strings and nulls is in {@code text}: its start and
     * end (exclusive) as it is written there, quotes and escapes included, two ints per element.
     * Not a validation: {@link #parse} is.
     */
    static int[] spans(byte[] text) {
        int[] found = new int[16];
        int n = 0;
        int i = skip(text, 0);
        expect(text, i++, '[');
        i = skip(text, i);
        if (i < text.length && text[i] == ']') {
            return new int[0];
        }
        while (true) {
            i = skip(text, i);
            int start = i;
            if (i < text.length && text[i] == '"') {
                i++;
                while (i < text.length && text[i] != '"') {
                    i += text[i] == '\\' ? 2 : 1;
                }
                i++;
            } else {
                while (i < text.length && text[i] != ',' && text[i] != ']') {
                    i++;
                }
            }
            if (i > text.length) {
                throw error(text, text.length);
            }
            if (n + 2 > found.length) {
                found = java.util.Arrays.copyOf(found, found.length * 2);
            }
            found[n++] = start;
            found[n++] = i;
            i = skip(text, i);
            if (i < text.length && text[i] == ',') {
                i++;
                continue;
            }
            expect(text, i, ']');
            return java.util.Arrays.copyOf(found, n);
        }
    }

    /** The escape after a backslash at {@code i}: its UTF-8 bytes written, the next index returned. */
    private static int escape(byte[] text, int i, ByteArrayOutputStream out) {
        if (i >= text.length) {
            throw error(text, i);
        }
        switch (text[i]) {
            case '"': out.write('"'); return i + 1;
            case '\\': out.write('\\'); return i + 1;
            case '/': out.write('/'); return i + 1;
            case 'b': out.write('\b'); return i + 1;
            case 'f': out.write('\f'); return i + 1;
            case 'n': out.write('\n'); return i + 1;
            case 'r': out.write('\r'); return i + 1;
            case 't': out.write('\t'); return i + 1;
            case 'u': break;
            default: throw error(text, i);
        }
        int code = hex(text, i + 1);
        i += 5;
        if (Character.isHighSurrogate((char) code) && i + 6 <= text.length
                && text[i] == '\\' && text[i + 1] == 'u') {
            int low = hex(text, i + 2);
            if (Character.isLowSurrogate((char) low)) {
                code = Character.toCodePoint((char) code, (char) low);
                i += 6;
            }
        }
        byte[] utf8 = new String(Character.toChars(code)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.write(utf8, 0, utf8.length);
        return i;
    }

    private static int hex(byte[] text, int i) {
        if (i + 4 > text.length) {
            throw error(text, i);
        }
        int code = 0;
        for (int k = i; k < i + 4; k++) {
            int digit = Character.digit(text[k], 16);
            if (digit < 0) {
                throw error(text, k);
            }
            code = code * 16 + digit;
        }
        return code;
    }

    private static int skip(byte[] text, int i) {
        while (i < text.length && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
            i++;
        }
        return i;
    }

    private static void expect(byte[] text, int i, char c) {
        if (i >= text.length || text[i] != c) {
            throw error(text, i);
        }
    }

    private static void end(byte[] text, int i) {
        if (skip(text, i) != text.length) {
            throw error(text, i);
        }
    }

    private static IllegalArgumentException error(byte[] text, int at) {
        return new IllegalArgumentException(
                "not a JSON array of strings (at byte " + at + " of " + text.length + ")");
    }
}
