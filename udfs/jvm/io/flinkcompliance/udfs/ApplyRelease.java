package io.flinkcompliance.udfs;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.TableFunction;

/**
 * A k-anonymity window's records released as the Python release decided (SQL table function
 * {@code apply_release(items, plan)}; udfs.flink.windows ReleasePlan, udfs.anonymity.windows
 * plan_window): one row (kind, fields) per record, kind "lake" with its quasi-identifiers
 * replaced by its group's generalized values, or "suppressed" as it is. The decision stays in
 * Python, over the quasi-identifiers only; the records never cross to Python and back.
 *
 * <p>items: the window's records, each a JSON array of its columns (PackRow). plan: a JSON array
 * of strings — the quasi-identifiers' positions in a record (comma-separated), each item's
 * group (comma-separated; -1 suppressed, -2 no record), then each group's generalized values in
 * position order (null: the record's own value).
 */
@FunctionHint(
        input = {
            @DataTypeHint(value = "ARRAY<STRING>", bridgedTo = ArrayData.class),
            @DataTypeHint(value = "STRING", bridgedTo = StringData.class)
        },
        output = @DataTypeHint(
                value = "ROW<kind STRING, fields ARRAY<STRING>>", bridgedTo = RowData.class))
public final class ApplyRelease extends TableFunction<RowData> {
    private static final long serialVersionUID = 1L;
    static final int SKIPPED = -2;
    static final int SUPPRESSED = -1;
    private static final StringData LAKE = StringData.fromString("lake");
    private static final StringData SUPPRESS = StringData.fromString("suppressed");

    public void eval(ArrayData items, StringData plan) {
        if (items == null || plan == null) {
            return;
        }
        byte[][] parts = JsonStrings.parse(plan.toBytes());
        if (parts.length < 2 || parts[0] == null || parts[1] == null) {
            throw new IllegalArgumentException("a release plan starts with positions and groups");
        }
        int[] positions = ints(parts[0]);
        int[] at = ints(parts[1]);
        int q = positions.length;
        if (at.length != items.size() || (q > 0 && (parts.length - 2) % q != 0)) {
            throw new IllegalArgumentException("a release plan for " + at.length + " records and "
                    + (parts.length - 2) + " labels does not fit a window of " + items.size());
        }
        StringData[] labels = new StringData[parts.length - 2];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = parts[i + 2] == null ? null : StringData.fromBytes(parts[i + 2]);
        }
        for (int j = 0; j < at.length; j++) {
            int group = at[j];
            if (group == SKIPPED || items.isNullAt(j)) {
                continue;
            }
            byte[][] values = JsonStrings.parse(items.getString(j).toBytes());
            StringData[] fields = new StringData[values.length];
            for (int i = 0; i < values.length; i++) {
                fields[i] = values[i] == null ? null : StringData.fromBytes(values[i]);
            }
            if (group >= 0) {
                if ((group + 1) * q > labels.length) {
                    throw new IllegalArgumentException("no group " + group + " in the release plan");
                }
                for (int i = 0; i < q; i++) {
                    StringData label = labels[group * q + i];
                    if (label != null) {
                        fields[positions[i]] = label;
                    }
                }
            } else if (group != SUPPRESSED) {
                throw new IllegalArgumentException("no group " + group + " in the release plan");
            }
            collect(GenericRowData.of(group >= 0 ? LAKE : SUPPRESS, new GenericArrayData(fields)));
        }
    }

    private static int[] ints(byte[] text) {
        String s = new String(text, java.nio.charset.StandardCharsets.US_ASCII);
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] split = s.split(",", -1);
        int[] values = new int[split.length];
        for (int i = 0; i < split.length; i++) {
            values[i] = Integer.parseInt(split[i]);
        }
        return values;
    }
}
