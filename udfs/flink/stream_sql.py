"""The streaming job's Flink SQL, by runtime mode: text only (no JVM), so that what differs
between STREAMING over Kafka and BATCH over a CSV is written here once and tested as text.

Views the job registers, in order: `processed` (the Python step's rows, with `rowtime`) → the
windows' input (STREAMING: `window_input_sql`, through the JVM windows into `window_outputs`;
BATCH: `on_time`) → `late` and `windowed` (each window's release); the INSERTs read those."""

from __future__ import annotations

UNPLACED = "created_at not in UTC ISO-8601 (…Z): no event-time window"
SUPPRESSED_SMALL = "group smaller than k"
VIOLATION_COLUMNS = "record_id, rule_id, `field`, regulation, severity, description"


def quoted(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def window_columns(payload: list[str]) -> list[str]:
    """What a window carries per record (packed into a JSON array in the JVM)."""
    return ["record_id", "event_date", "event_ms", *payload, "extra"]


def lake_columns(columns: list[str]) -> list[str]:
    """The lake's columns of a released record (its partition, `date`, comes from event_date)."""
    return [c for c in columns if c not in ("event_date", "event_ms")]


def processed_sql(names: list[str], batch: bool) -> str:
    """The Python step's row (`process_input`, its fields `names`) over `input_rows`: CSV lines
    (path, line) in BATCH; Kafka messages in STREAMING, where the event time (a time attribute,
    watermarked per partition) passes the step as a plain column `step_rowtime` (NULL for a
    record without one: the job turns the step into a DataStream once, where `rowtime` is
    declared again over it with the watermarks the stream carries)."""
    fields = ", ".join(f"r.`{n}` AS `{n}`" for n in names)
    if batch:
        return f"SELECT {fields} FROM (SELECT process_input(`path`, `line`) AS r FROM input_rows)"
    return (
        f"SELECT {fields}, CAST(rowtime AS TIMESTAMP_LTZ(3)) AS step_rowtime FROM "
        "(SELECT process_input(message, source_ts) AS r, rowtime FROM input_rows)"
    )


def batch_rowtime_sql(table: str) -> str:
    """No watermarks in BATCH: the windows read event time from the step's event_ms."""
    return f"SELECT *, TO_TIMESTAMP_LTZ(CAST(event_ms AS BIGINT), 3) AS rowtime FROM {table}"


def _late(batch: bool) -> str:
    # A bounded CSV run has no late records: its only watermark is the final one.
    return "FALSE" if batch else "rowtime <= CURRENT_WATERMARK(rowtime)"


# A record's window columns as one JSON array (udfs/jvm PackRow; JSON_ARRAY's generator cost
# ~13% of the streaming TaskManager's samples): register it before the windows' SQL is planned.
PACK_FUNCTION = ("pack_row", "io.flinkcompliance.udfs.PackRow")


# A window's records released as the Python release plan says (udfs/jvm ApplyRelease).
RELEASE_FUNCTION = ("apply_release", "io.flinkcompliance.udfs.ApplyRelease")
# Only the quasi-identifiers of a window's records go to Python (udfs/jvm ProjectItems).
PROJECT_FUNCTION = ("project_items", "io.flinkcompliance.udfs.ProjectItems")


def packed_sql(columns: list[str]) -> str:
    return f"{PACK_FUNCTION[0]}({quoted(columns)})"


def window_input_sql(columns: list[str]) -> str:
    """Streaming: every valid record with an event time, packed, for the k-anonymity windows
    (udfs/jvm KAnonymityWindows), which tell late records apart themselves."""
    return (
        f"SELECT group_key, {packed_sql(columns)} AS packed, record_id, event_date, rowtime "
        "FROM processed WHERE kind = 'record' AND rowtime IS NOT NULL"
    )


def on_time_sql(columns: list[str], window_ms: int) -> str:
    """BATCH: every valid record with an event time (no watermark, nothing late), with the
    start of its key's window (`window_phase`: udfs/jvm WindowPhase, as the streaming windows
    place them)."""
    start = f"window_phase(group_key, CAST(event_ms AS BIGINT), CAST({int(window_ms)} AS BIGINT))"
    return (
        f"SELECT group_key, {packed_sql(columns)} AS packed, {start} AS window_start "
        "FROM processed WHERE kind = 'record' AND rowtime IS NOT NULL"
    )


def late_sql(batch: bool) -> str:
    """Records no window takes, suppressed, never dropped: in STREAMING those the windows found
    late (`window_outputs`) and those without an event time; in BATCH those without one."""
    if batch:
        return (
            "SELECT record_id, event_date, 'late' AS reason FROM processed "
            "WHERE kind = 'record' AND rowtime IS NULL"
        )
    return (
        "SELECT record_id, event_date, 'late' AS reason FROM window_outputs WHERE kind = 'late' "
        f"UNION ALL SELECT record_id, event_date, '{UNPLACED}' AS reason FROM processed "
        "WHERE kind = 'record' AND rowtime IS NULL"
    )


def windowed_sql(columns: list[str], batch: bool, qi_positions: str) -> str:
    """Each window's records of one group key released as one call of the Python function
    `release_plan` decides over their quasi-identifiers (`qi_positions` in a packed record:
    udfs.flink.windows), applied in the JVM by `apply_release`. STREAMING: the windows' rows
    (`window_outputs`, collected in the JVM by udfs/jvm KAnonymityWindows). BATCH: `on_time`
    grouped by key and its window's start."""
    if batch:
        windows = (
            "SELECT group_key, ARRAY_AGG(packed) AS items FROM on_time "
            "GROUP BY window_start, group_key"
        )
    else:
        windows = "SELECT items FROM window_outputs WHERE kind = 'window'"
    fields = ", ".join(f"T.fields[{i}] AS `{n}`" for i, n in enumerate(columns, start=1))
    qis = f"{PROJECT_FUNCTION[0]}(items, '{qi_positions}')"
    planned = f"SELECT items, release_plan({qis}) AS plan FROM ({windows})"
    return f"""SELECT T.kind AS kind, {fields} FROM ({planned}) AS W,
            LATERAL TABLE({RELEASE_FUNCTION[0]}(W.items, W.plan)) AS T(kind, fields)"""


def inserts(domain: str, job_id: str, columns: list[str]) -> list[str]:
    """Every output's INSERT: lake, suppressed (small groups, late), violations, alerts and
    quarantine (the sinks are files in BATCH, topics in STREAMING: the same SQL)."""
    return [
        f"INSERT INTO lake_sink SELECT {quoted(lake_columns(columns))}, event_date "
        "FROM windowed WHERE kind = 'lake'",
        # One writer for the folder: two INSERTs into the same filesystem sink made two writers
        # (and two committers) of one directory, and late records went missing from it after a
        # TaskManager kill in the full test suite.
        f"INSERT INTO suppressed_sink SELECT record_id, event_date, '{SUPPRESSED_SMALL}' "
        "FROM windowed WHERE kind = 'suppressed' "
        "UNION ALL SELECT record_id, event_date, reason FROM late",
        f"INSERT INTO violations_sink SELECT '{domain}', {VIOLATION_COLUMNS}, '{job_id}', "
        "event_date FROM violation_rows",
        "INSERT INTO alerts_sink SELECT record_id, alert FROM processed "
        "WHERE kind = 'record' AND alert IS NOT NULL",
        "INSERT INTO quarantine_sink SELECT record_id, JSON_OBJECT('record_id' VALUE record_id, "
        f"'domain' VALUE '{domain}', 'reason' VALUE reason, 'raw' VALUE `raw`) "
        "FROM processed WHERE kind = 'quarantine'",
    ]


# Change data capture (udfs.cdc): a source row deleted is recorded, never released.
DELETED_NAMES = ["record_id", "deleted_at", "lsn", "source", "job_id"]


def _deleted_sql(source: str, job_id: str) -> str:
    when = "TO_TIMESTAMP_LTZ(CAST(event_ms AS BIGINT), 3)"
    return (
        f"SELECT record_id, CAST({when} AS TIMESTAMP(3)) AS deleted_at, "
        "COALESCE(CAST(JSON_VALUE(extra, '$.cdc_lsn') AS BIGINT), 0) AS lsn, "
        f"'{source}' AS source, '{job_id}' AS job_id FROM processed WHERE kind = 'deleted'"
    )


def deleted_inserts(source: str, job_id: str, domain: str, audit: bool) -> list[str]:
    """Deleted source rows to deleted/ (Parquet) and, with the audit, to its source_deletions
    table (upserted on domain, source, record id and position: a replay writes nothing twice)."""
    rows = _deleted_sql(source, job_id)
    inserts = [f"INSERT INTO deleted_sink {rows}"]
    if audit:
        when = "CAST(CURRENT_TIMESTAMP AS TIMESTAMP(3))"
        inserts.append(
            f"INSERT INTO audit_deletions SELECT '{domain}', source, record_id, lsn, deleted_at, "
            f"{when}, job_id FROM ({rows})"
        )
    return inserts


# Data quality (udfs.quality): the step's per-batch counts and the distinct record ids, per
# tumbling window of processing time (every row counted once, late or not), scored by one
# Python call per window (`score_quality`); one window over the whole input in BATCH.
QUALITY_NAMES = ["window_start", "window_end", "score", "level", "passed", "detail"]


def quality_rows_sql(batch: bool) -> str:
    """What the quality windows read of each processed row (the view `quality_rows`): the id, the
    kind, the step's counts (on a batch's last row) and whether the record came late for its
    event-time window (what `late` suppresses)."""
    late = f"CASE WHEN kind = 'record' AND ({_late(batch)}) IS TRUE THEN 1 ELSE 0 END AS late"
    return f"SELECT record_id, kind, quality, {'' if batch else 'proctime, '}{late} FROM processed"


def quality_windows_sql(batch: bool, seconds: int) -> str:
    """Per window (the window table function over `quality_rows`: its window_start is a plain
    column, which TUMBLE_START of a grouped window is not once a Python call reads it): the
    distinct ids, the late records and the step's counts, one JSON per batch, a line each."""
    # The counts' separator is a newline, which JSON never holds unescaped.
    counted = ("COUNT(DISTINCT record_id) FILTER (WHERE kind = 'record') AS ids, "
               "SUM(late) AS late, LISTAGG(quality, '\n') AS parts")  # fmt: skip
    if batch:
        windows = (
            f"SELECT CAST(NULL AS STRING) AS ws, CAST(NULL AS STRING) AS we, {counted} "
            "FROM quality_rows"
        )
    else:
        size = f"INTERVAL '{seconds}' SECOND({len(str(seconds))})"
        windows = (
            f"SELECT CAST(window_start AS STRING) AS ws, CAST(window_end AS STRING) AS we, "
            f"{counted} FROM TABLE(TUMBLE(TABLE quality_rows, DESCRIPTOR(proctime), {size})) "
            "GROUP BY window_start, window_end"
        )
    fields = ", ".join(f"q.`{n}` AS `{n}`" for n in QUALITY_NAMES)
    return f"SELECT {fields} FROM (SELECT score_quality(ws, we, ids, late, parts) AS q FROM ({windows}))"


def quality_inserts() -> list[str]:
    """Every window's quality to quality/ (Parquet); those below the thresholds, as alerts, to
    the quality topic (keyed by the window's start)."""
    return [
        f"INSERT INTO quality_sink SELECT {quoted(QUALITY_NAMES)} FROM quality_windows",
        "INSERT INTO quality_topic_sink SELECT COALESCE(window_start, 'input'), detail "
        "FROM quality_windows WHERE NOT passed",
    ]


# Differentially private aggregates (udfs.dp): per tumbling event-time window, each person's
# records counted per raw group values in SQL (parallel, keyed), then each window's counts
# handed to one Python call (`dp_release_N`) that bounds, noises and selects.
DP_SEPARATOR = "CHR(31)"  # udfs.anonymity.frequencies.SEPARATOR


def minutes_sql(minutes: int) -> str:
    return f"INTERVAL '{minutes}' MINUTE({len(str(minutes))})"


def dp_records_sql(columns: list[str], person: str, batch: bool) -> str:
    """The on-time records' columns the aggregates read, with a person."""
    return (
        f"SELECT {quoted(columns)}, rowtime FROM processed WHERE kind = 'record' "
        f"AND rowtime IS NOT NULL AND NOT ({_late(batch)}) IS TRUE "
        f"AND `{person}` IS NOT NULL AND `{person}` <> ''"
    )


def clamped_sql(column: str | None, bounds: tuple[float, float]) -> str:
    """A record's measured value as udfs.dp.contributions.clamped reads it (0.0 for a count)."""
    if column is None:
        return "0.0"
    value = f"COALESCE(TRY_CAST(TRIM(`{column}`) AS DOUBLE), 0.0)"
    return f"LEAST(GREATEST({value}, {bounds[0]!r}), {bounds[1]!r})"


def dp_pairs_sql(
    person: str, groups: list[str], value: str, batch: bool, minutes: int
) -> str:  # fmt: skip
    """Per window, person and raw group values: the records (n) and their clamped sum (s)."""
    keys = quoted([person, *groups])
    size = minutes_sql(minutes)
    measures = f"COUNT(*) AS n, SUM({value}) AS s"
    if batch:
        return (
            f"SELECT window_start AS ws, window_end AS we, {keys}, {measures} "
            f"FROM TABLE(TUMBLE(TABLE dp_records, DESCRIPTOR(rowtime), {size})) "
            f"GROUP BY window_start, window_end, {keys}"
        )
    return (
        f"SELECT TUMBLE_ROWTIME(rowtime, {size}) AS rt, {keys}, {measures} "
        f"FROM dp_records GROUP BY TUMBLE(rowtime, {size}), {keys}"
    )


def dp_release_sql(
    pairs_view: str, function: str, person: str, groups: list[str], batch: bool, minutes: int,
    names: list[str],
) -> str:  # fmt: skip
    """Each window's pairs as one array of text items (person, group values, n, s joined by the
    separator) → one call of the Python table function that publishes the window."""
    parts = ", ".join(f"COALESCE(CAST(`{c}` AS STRING), '')" for c in [person, *groups])
    item = f"CONCAT_WS({DP_SEPARATOR}, {parts}, CAST(n AS STRING), CAST(s AS STRING))"
    size = minutes_sql(minutes)
    if batch:
        inner = (
            f"SELECT CAST(ws AS STRING) AS ws, CAST(we AS STRING) AS we, ARRAY_AGG({item}) AS items "
            f"FROM {pairs_view} GROUP BY ws, we"
        )
    else:
        inner = (
            f"SELECT CAST(TUMBLE_START(rt, {size}) AS STRING) AS ws, "
            f"CAST(TUMBLE_END(rt, {size}) AS STRING) AS we, ARRAY_AGG({item}) AS items "
            f"FROM {pairs_view} GROUP BY TUMBLE(rt, {size})"
        )
    return (
        f"SELECT {quoted(names)} FROM ({inner}), "
        f"LATERAL TABLE({function}(ws, we, items)) AS T({quoted(names)})"
    )


def dp_inserts(views: list[str], names: list[str]) -> list[str]:
    """The published rows to Parquet (dp/) and to the dp topic (a file in BATCH), keyed by
    aggregate, window and group."""
    union = " UNION ALL ".join(f"SELECT {quoted(names)} FROM {v}" for v in views)
    key = "CONCAT_WS('|', aggregate, window_start, `group`)"
    value = "JSON_OBJECT(" + ", ".join(f"'{n}' VALUE `{n}`" for n in names) + ")"
    return [
        f"INSERT INTO dp_sink {union}",
        f"INSERT INTO dp_topic_sink SELECT {key}, {value} FROM ({union})",
    ]
