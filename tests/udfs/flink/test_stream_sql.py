from udfs.flink import stream_sql as sql

COLUMNS = sql.window_columns(["zip3", "age_band"])


def test_streaming_windows_tell_late_records_apart_in_the_jvm_and_batch_has_none():
    # STREAMING: no late filter before the windows (an upstream watermark can be behind the
    # window operator's); the windows' own late rows and the records without event time.
    assert "CURRENT_WATERMARK" not in sql.window_input_sql(COLUMNS)
    assert "rowtime IS NOT NULL" in sql.window_input_sql(COLUMNS)
    late = sql.late_sql(batch=False)
    assert "FROM window_outputs WHERE kind = 'late'" in late and sql.UNPLACED in late
    assert sql.UNPLACED not in sql.late_sql(batch=True)
    assert "window_outputs" not in sql.late_sql(batch=True)


def test_windows_come_from_the_jvm_in_streaming_and_a_group_by_in_batch():
    streaming = sql.windowed_sql(COLUMNS, batch=False, qi_positions="3,4")
    bounded = sql.windowed_sql(COLUMNS, batch=True, qi_positions="3,4")
    assert "FROM window_outputs WHERE kind = 'window'" in streaming
    assert "FROM on_time GROUP BY window_start, group_key" in bounded
    # BATCH places each key's windows as the streaming operator does (udfs/jvm WindowPhase)
    on_time = sql.on_time_sql(COLUMNS, 1500)
    assert "window_phase(group_key, CAST(event_ms AS BIGINT), CAST(1500 AS BIGINT))" in on_time
    for text in (streaming, bounded):
        assert "release_plan(project_items(items, '3,4'))" in text  # Python sees the QIs only
        assert "apply_release(W.items, W.plan)" in text
        assert "T.fields[4] AS `zip3`" in text  # record_id, event_date, event_ms, zip3


def test_the_lake_keeps_the_payload_not_the_event_time_columns():
    assert sql.lake_columns(COLUMNS) == ["record_id", "zip3", "age_band", "extra"]
    lake = sql.inserts("healthcare", "j1", COLUMNS)[0]
    assert lake.startswith("INSERT INTO lake_sink SELECT `record_id`, `zip3`, `age_band`, `extra`")


def test_every_output_has_one_insert_naming_the_domain_and_job():
    inserts = sql.inserts("financial", "job-7", COLUMNS)
    sinks = [text.split()[2] for text in inserts]
    assert sinks == [
        "lake_sink",
        "suppressed_sink",
        "violations_sink",
        "alerts_sink",
        "quarantine_sink",
    ]  # fmt: skip (one INSERT, so one writer, per folder)
    assert "UNION ALL SELECT record_id, event_date, reason FROM late" in inserts[1]
    assert "'financial', record_id" in inserts[2] and "'job-7'" in inserts[2]
    assert "'domain' VALUE 'financial'" in inserts[4]


def test_the_step_reads_lines_in_batch_and_messages_with_their_rowtime_in_streaming():
    assert "process_input(`path`, `line`)" in sql.processed_sql(["kind", "record_id"], True)
    streaming = sql.processed_sql(["kind", "record_id"], False)
    assert "process_input(message, source_ts) AS r, rowtime" in streaming
    assert "r.`record_id` AS `record_id`" in streaming


def test_private_pairs_count_per_window_person_and_raw_values_in_both_modes():
    streaming = sql.dp_pairs_sql("ssn", ["zip_code"], "0.0", batch=False, minutes=60)
    bounded = sql.dp_pairs_sql("ssn", ["zip_code"], "0.0", batch=True, minutes=60)
    assert "GROUP BY TUMBLE(rowtime, INTERVAL '60' MINUTE(2)), `ssn`, `zip_code`" in streaming
    assert "TUMBLE_ROWTIME(rowtime" in streaming  # the next window groups by it
    assert "DESCRIPTOR(rowtime), INTERVAL '60' MINUTE(2)" in bounded
    for text in (streaming, bounded):
        assert "COUNT(*) AS n, SUM(0.0) AS s" in text


def test_private_records_are_on_time_and_have_a_person():
    text = sql.dp_records_sql(["ssn", "zip_code"], "ssn", batch=False)
    assert "CURRENT_WATERMARK" in text and "`ssn` <> ''" in text
    assert "CURRENT_WATERMARK" not in sql.dp_records_sql(["ssn"], "ssn", batch=True)


def test_a_measured_value_is_clamped_and_unreadable_ones_count_as_zero():
    assert sql.clamped_sql(None, (0, 0)) == "0.0"
    text = sql.clamped_sql("transaction_amount", (0.0, 1000.0))
    assert text == ("LEAST(GREATEST(COALESCE(TRY_CAST(TRIM(`transaction_amount`) AS DOUBLE), "
                    "0.0), 0.0), 1000.0)")  # fmt: skip


def test_each_window_is_one_call_and_goes_to_both_private_sinks():
    release = sql.dp_release_sql("dp_pairs_0", "dp_release_0", "ssn", ["zip_code"], False, 60,
                                 ["aggregate", "window_start", "group"])  # fmt: skip
    assert "GROUP BY TUMBLE(rt, INTERVAL '60' MINUTE(2))" in release
    assert "LATERAL TABLE(dp_release_0(ws, we, items))" in release
    assert "CHR(31)" in release and "COALESCE(CAST(`zip_code` AS STRING), '')" in release
    inserts = sql.dp_inserts(
        ["dp_released_0", "dp_released_1"], ["aggregate", "window_start", "group"]
    )
    assert [i.split()[2] for i in inserts] == ["dp_sink", "dp_topic_sink"]
    assert all("UNION ALL" in i for i in inserts)


def test_quality_windows_are_of_processing_time_in_streaming_and_the_whole_input_in_batch():
    streaming = sql.quality_windows_sql(batch=False, seconds=60)
    assert "TUMBLE(TABLE quality_rows, DESCRIPTOR(proctime), INTERVAL '60' SECOND(2))" in streaming
    assert "CURRENT_WATERMARK(rowtime)" in sql.quality_rows_sql(batch=False)  # late, per window
    batch = sql.quality_windows_sql(batch=True, seconds=60)
    assert "GROUP BY" not in batch and "proctime" not in sql.quality_rows_sql(batch=True)
    for text in (streaming, batch):
        assert "score_quality(ws, we, ids, late, parts)" in text
        assert "LISTAGG(quality, '\n')" in text
    # proctime is declared where the step becomes a table again (jobs.runtime.translated_once)
    step = sql.processed_sql(["kind"], batch=False)
    assert "CAST(rowtime AS TIMESTAMP_LTZ(3)) AS step_rowtime" in step and "proctime" not in step


def test_only_failing_windows_go_to_the_quality_topic():
    to_file, to_topic = sql.quality_inserts()
    assert "quality_sink" in to_file and "WHERE" not in to_file
    assert "quality_topic_sink" in to_topic and to_topic.endswith("WHERE NOT passed")
