package io.flinkcompliance.udfs;

import java.util.Arrays;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * Some columns of each of a window's packed records (PackRow), as SQL function {@code
 * project_items(items, positions)}: each item becomes the JSON array of the elements at
 * {@code positions} (0-based, comma-separated), copied as they are written. The k-anonymity
 * release hands Python the quasi-identifiers only (udfs.flink.windows ReleasePlan), not whole
 * records. A null or empty item stays as it is.
 */
@FunctionHint(
        input = {
            @DataTypeHint(value = "ARRAY<STRING>", bridgedTo = ArrayData.class),
            @DataTypeHint(value = "STRING", bridgedTo = StringData.class)
        },
        output = @DataTypeHint(value = "ARRAY<STRING>", bridgedTo = ArrayData.class))
public final class ProjectItems extends ScalarFunction {
    private static final long serialVersionUID = 1L;

    private transient String parsedText;
    private transient int[] positions;

    public ArrayData eval(ArrayData items, StringData positionsText) {
        if (items == null || positionsText == null) {
            return null;
        }
        String text = positionsText.toString();
        if (!text.equals(parsedText)) {
            positions = text.isEmpty()
                    ? new int[0]
                    : Arrays.stream(text.split(",", -1)).mapToInt(Integer::parseInt).toArray();
            parsedText = text;
        }
        StringData[] projected = new StringData[items.size()];
        byte[] buffer = new byte[256];
        for (int j = 0; j < projected.length; j++) {
            if (items.isNullAt(j)) {
                continue;
            }
            byte[] item = items.getString(j).toBytes();
            if (item.length == 0) {
                projected[j] = StringData.fromBytes(item);
                continue;
            }
            int[] spans = JsonStrings.spans(item);
            int n = 0;
            buffer[n++] = '[';
            for (int i = 0; i < positions.length; i++) {
                int p = positions[i];
                if (2 * p + 1 >= spans.length) {
                    throw new IllegalArgumentException("no column " + p + " in a record of "
                            + spans.length / 2);
                }
                int start = spans[2 * p];
                int length = spans[2 * p + 1] - start;
                if (n + length + 2 > buffer.length) {
                    buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, n + length + 2));
                }
                if (i > 0) {
                    buffer[n++] = ',';
                }
                System.arraycopy(item, start, buffer, n, length);
                n += length;
            }
            buffer[n++] = ']';
            projected[j] = StringData.fromBytes(Arrays.copyOf(buffer, n));
        }
        return new GenericArrayData(projected);
    }
}
