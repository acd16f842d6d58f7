package io.flinkcompliance.udfs;

import java.util.Arrays;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.TableFunction;

/**
 * A record's violations, one row each, as SQL table function {@code explode_violations(v)}: the
 * Python step hands each violation over as one string, its fields joined by the unit separator
 * (udfs.pipeline FIELD_SEP). It stands for {@code CROSS JOIN UNNEST(v) AS V(s)} with {@code
 * SPLIT_INDEX(s, CHR(31), i)} per field, which split each string once per field (~9% of the
 * streaming TaskManager's samples): here each is split once, its fields sliced out of its bytes.
 * Like SPLIT_INDEX, a field past the last separator is null, empty fields are kept, and an empty
 * string has no fields.
 */
@FunctionHint(
        input = @DataTypeHint(value = "ARRAY<STRING>", bridgedTo = ArrayData.class),
        output = @DataTypeHint(
                value = "ROW<rule_id STRING, regulation STRING, `field` STRING, severity STRING,"
                        + " description STRING>",
                bridgedTo = RowData.class))
public final class ExplodeViolations extends TableFunction<RowData> {
    private static final long serialVersionUID = 1L;
    static final int FIELDS = 5;
    static final byte SEPARATOR = 0x1f;

    public void eval(ArrayData violations) {
        if (violations == null) {
            return;
        }
        for (int i = 0; i < violations.size(); i++) {
            GenericRowData row = new GenericRowData(FIELDS);
            if (!violations.isNullAt(i)) {
                split(violations.getString(i).toBytes(), row);
            }
            collect(row);
        }
    }

    static void split(byte[] text, GenericRowData row) {
        if (text.length == 0) {
            return;
        }
        int start = 0;
        for (int field = 0; field < FIELDS; field++) {
            int end = start;
            while (end < text.length && text[end] != SEPARATOR) {
                end++;
            }
            row.setField(field, StringData.fromBytes(Arrays.copyOfRange(text, start, end)));
            if (end == text.length) {
                return; // the fields after it stay null
            }
            start = end + 1;
        }
    }
}
