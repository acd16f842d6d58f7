package io.flinkcompliance.udfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.types.Row;

/**
 * The streaming job's k-anonymity windows: each tumbling event-time window's records of one
 * group key, kept in the JVM and emitted as one row when the watermark passes the window's end;
 * a record whose window has already been emitted comes out as a "late" row instead. Each key's
 * windows are shifted by its own phase (WindowPhase), so that keys do not all close at once.
 *
 * <p>Why not Flink SQL's windows: their operator drops a late record silently, so the job had to
 * tell late records apart before it, by the watermark of an operator upstream. That watermark
 * can be behind the window operator's (after a restore, when the window operator replays the
 * watermarks of an unaligned checkpoint; when one input was idle while the others advanced), and
 * the records it let through were lost. Here the operator that would drop is the one that
 * decides. And at the end of the input (a bounded run, or a stop with --drain) every open window
 * is emitted even when the final watermark cannot arrive (a source marked idle sends none).
 *
 * <p>In, keyed by group key: Flink's internal rows (group_key, packed, record_id, event_date,
 * rowtime) with event timestamps. Out: rows (kind, group_key, items, record_id, event_date): kind "window" with the
 * window's packed records in arrival order, or "late" with the record's id and date.
 */
public final class KAnonymityWindows extends AbstractStreamOperator<Row>
        implements OneInputStreamOperator<RowData, Row>, Triggerable<String, Long>, BoundedOneInput {
    public static final String WINDOW = "window";
    public static final String LATE = "late";

    public static final TypeInformation<Row> OUTPUT =
            Types.ROW_NAMED(
                    new String[] {"kind", "group_key", "items", "record_id", "event_date"},
                    Types.STRING,
                    Types.STRING,
                    BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO,
                    Types.STRING,
                    Types.STRING);

    private static final long serialVersionUID = 1L;

    private final long windowMillis;
    // UTF-8 bytes, not Strings: a String is serialized a character at a time, and the heap
    // state backend writes every open window's records at each checkpoint (that made the
    // checkpoints most of the TaskManager's CPU).
    private transient ListStateDescriptor<byte[]> recordsDescriptor;
    private transient InternalTimerService<Long> timers;

    public KAnonymityWindows(long windowMillis) {
        if (windowMillis <= 0) {
            throw new IllegalArgumentException("window size must be positive: " + windowMillis);
        }
        this.windowMillis = windowMillis;
    }

    /** The windows over `input` (Flink's internal rows), keyed by its first field. */
    public static DataStream<Row> apply(DataStream<RowData> input, long windowMillis) {
        return input.keyBy(new GroupKey(), Types.STRING)
                .transform("k-anonymity windows", OUTPUT, new KAnonymityWindows(windowMillis))
                .uid("k-anonymity-windows");
    }

    @Override
    public void open() throws Exception {
        super.open();
        recordsDescriptor =
                new ListStateDescriptor<>(
                        "records", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        timers = getInternalTimerService("window-ends", LongSerializer.INSTANCE, this);
    }

    /** The key's window's last millisecond: its timer, and the namespace of its records. */
    private long windowLast(String key, long timestamp) {
        return WindowPhase.windowStart(key, timestamp, windowMillis) + windowMillis - 1;
    }

    @Override
    public void processElement(StreamRecord<RowData> element) throws Exception {
        RowData row = element.getValue();
        long last = windowLast((String) getCurrentKey(), element.getTimestamp());
        if (last <= timers.currentWatermark()) { // its window has been emitted already
            output.collect(new StreamRecord<>(
                    Row.of(LATE, text(row, 0), null, text(row, 2), text(row, 3))));
            return;
        }
        records(last).add(row.getString(1).toBytes());
        timers.registerEventTimeTimer(last, last);
    }

    private static String text(RowData row, int field) {
        if (row.isNullAt(field)) {
            return null;
        }
        StringData value = row.getString(field);
        return value.toString();
    }

    private ListState<byte[]> records(long window) throws Exception {
        return getPartitionedState(window, LongSerializer.INSTANCE, recordsDescriptor);
    }

    @Override
    public void onEventTime(InternalTimer<String, Long> timer) throws Exception {
        ListState<byte[]> state = records(timer.getNamespace());
        List<String> items = new ArrayList<>();
        Iterable<byte[]> stored = state.get();
        if (stored != null) {
            for (byte[] item : stored) {
                items.add(new String(item, StandardCharsets.UTF_8));
            }
        }
        state.clear();
        if (!items.isEmpty()) {
            output.collect(new StreamRecord<>(
                    Row.of(WINDOW, timer.getKey(), items.toArray(new String[0]), null, null),
                    timer.getTimestamp()));
        }
    }

    @Override
    public void onProcessingTime(InternalTimer<String, Long> timer) {}

    /** End of input (bounded, or drained): every open window, watermark or not. */
    @Override
    public void endInput() throws Exception {
        processWatermark(Watermark.MAX_WATERMARK);
    }

    static final class GroupKey implements KeySelector<RowData, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(RowData row) {
            String key = text(row, 0);
            return key == null ? "" : key;
        }
    }
}
