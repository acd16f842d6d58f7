from udfs.flink import stream_sql as sql

COLUMNS = sql.window_columns(["zip3", "age_band"])


def test_only_streaming_has_late_records():
    assert "CURRENT_WATERMARK" in sql.on_time_sql(COLUMNS, batch=False)
    assert "CURRENT_WATERMARK" not in sql.on_time_sql(COLUMNS, batch=True)
    assert sql.UNPLACED in sql.late_sql(batch=False)
    assert sql.UNPLACED not in sql.late_sql(batch=True)


def test_windows_group_by_tumble_in_streaming_and_use_the_table_function_in_batch():
    streaming = sql.windowed_sql(COLUMNS, batch=False, window_ms=60000)
    bounded = sql.windowed_sql(COLUMNS, batch=True, window_ms=1500)
    assert "GROUP BY TUMBLE(rowtime, INTERVAL '60.000' SECOND)" in streaming
    assert "TABLE(TUMBLE(TABLE on_time, DESCRIPTOR(rowtime), INTERVAL '1.500' SECOND))" in bounded
    for text in (streaming, bounded):
        assert "release_window(items)" in text and "`zip3`" in text


def test_the_lake_keeps_the_payload_not_the_event_time_columns():
    assert sql.lake_columns(COLUMNS) == ["record_id", "zip3", "age_band", "extra"]
    lake = sql.inserts("healthcare", "j1", COLUMNS)[0]
    assert lake.startswith("INSERT INTO lake_sink SELECT `record_id`, `zip3`, `age_band`, `extra`")


def test_every_output_has_one_insert_naming_the_domain_and_job():
    inserts = sql.inserts("financial", "job-7", COLUMNS)
    sinks = [text.split()[2] for text in inserts]
    assert sinks == ["lake_sink", "suppressed_sink", "suppressed_sink", "violations_sink",
                     "alerts_sink", "quarantine_sink"]  # fmt: skip
    assert "'financial', record_id" in inserts[3] and "'job-7'" in inserts[3]
    assert "'domain' VALUE 'financial'" in inserts[5]


def test_the_step_reads_lines_in_batch_and_messages_with_their_rowtime_in_streaming():
    assert "process_input(`path`, `line`)" in sql.processed_sql(["kind", "record_id"], True)
    streaming = sql.processed_sql(["kind", "record_id"], False)
    assert "process_input(message, source_ts) AS r, rowtime" in streaming
    assert "r.`record_id` AS `record_id`" in streaming
