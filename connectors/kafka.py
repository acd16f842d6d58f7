"""Kafka: topic creation, Flink SQL DDL for the job's source and sinks, and a producer for the
ingest tool. The only place that knows Kafka connector options."""

from __future__ import annotations

from collections.abc import Iterator

from confluent_kafka.admin import AdminClient, NewTopic

from connectors.settings import KafkaSettings


def ensure_topics(names: list[str], partitions: int = 3, settings: KafkaSettings | None = None,
                  configs: dict[str, dict[str, str]] | None = None) -> list[str]:  # fmt: skip
    """Create the topics that do not exist yet; returns the ones created."""
    settings = settings or KafkaSettings.from_env()
    admin = AdminClient(settings.client_config())
    existing = set(admin.list_topics(timeout=15).topics)
    wanted = [
        NewTopic(n, partitions, 1, config=(configs or {}).get(n, {}))
        for n in names
        if n not in existing
    ]
    if wanted:
        for _name, future in admin.create_topics(wanted).items():
            try:
                future.result(30)
            except Exception as err:  # created meanwhile by someone else
                if "TOPIC_ALREADY_EXISTS" not in str(err):
                    raise
    return [t.topic for t in wanted]


def delete_topics(names: list[str], settings: KafkaSettings | None = None) -> list[str]:
    """Delete the topics that exist (and wait for it); returns the ones deleted."""
    settings = settings or KafkaSettings.from_env()
    admin = AdminClient(settings.client_config())
    existing = [n for n in names if n in admin.list_topics(timeout=15).topics]
    for _name, future in admin.delete_topics(existing).items() if existing else []:
        future.result(30)
    return existing


# The event time Flink SQL reads in the source: a JSON field's ISO-8601 time in UTC ('Z'),
# with or without milliseconds (an offset such as +02:00 stays NULL), read from the message's
# bytes by the project's JVM function (udfs/jvm EventTime): register it before the DDL runs.
EVENT_TIME_FUNCTION = ("event_time_ms", "io.flinkcompliance.udfs.EventTime")


def _commit_time_sql() -> str:
    """A Debezium change event's time: when the source committed it (`source.ts_ms`; the
    `source` object holds no nested object, and comes before the event's own `ts_ms`)."""
    pattern = '"source"\\s*:\\s*\\{[^}]*"ts_ms"\\s*:\\s*([0-9]{1,15})'
    text = f"REGEXP_EXTRACT(CAST(message AS STRING), '{pattern}', 1)"
    return f"TO_TIMESTAMP_LTZ(CAST({text} AS BIGINT), 3)"


def source_ddl(
    table: str,
    topic: str,
    group_id: str,
    bounded: bool,
    settings: KafkaSettings | None = None,
    time_field: str | None = None,
    out_of_orderness_ms: int = 5000,
    parallelism: int | None = None,
    change_events: bool = False,
) -> str:
    """Raw message bytes plus the Kafka timestamp (the producer's send time), and `proctime`
    (processing time: the quality windows').

    With `time_field`, also `rowtime`: that JSON field of the message (NULL when missing or not
    in UTC ISO-8601, read by EVENT_TIME_FUNCTION, registered first; such messages do not move
    the watermark), with a bounded-out-of-orderness watermark that Flink pushes into the Kafka
    source, so each partition gets its own watermark and the slowest one holds it back.

    With `change_events` (Debezium's, udfs.cdc) `rowtime` is when the source committed the
    change, not `time_field`: an update of a row created long ago is a change of now, and its
    window is now's (it would be late in its creation time's).

    With `parallelism` (`scan.parallelism`) the source runs with that many readers and Flink
    rebalances its records over the downstream subtasks (when their parallelism differs).
    """
    settings = settings or KafkaSettings.from_env()
    options = ",\n        'scan.bounded.mode' = 'latest-offset'" if bounded else ""
    if parallelism:
        options += f",\n        'scan.parallelism' = '{int(parallelism)}'"
    if change_events:  # Kafka Connect writes them in transactions (exactly-once source)
        options += ",\n        'properties.isolation.level' = 'read_committed'"
    time_cols = ""
    if time_field or change_events:
        # Not JSON_VALUE: that parsed the whole message into a map, once in the reader for the
        # watermark and again downstream (~15% of the TaskManager's CPU in a profile); nor a
        # regex and TO_TIMESTAMP_LTZ's format parser (~22%): a search for the quoted key in the
        # bytes (a regex for change events). Inside a JSON string every quote is escaped, so
        # only a key can match; a nested object with the same key before the top-level one
        # would win (the Python step reads the top-level value for the record's own event date).
        if change_events:
            parsed = _commit_time_sql()
        else:
            parsed = f"TO_TIMESTAMP_LTZ({EVENT_TIME_FUNCTION[0]}(message, '{time_field}'), 3)"
        time_cols = (
            f",\n        rowtime AS {parsed},"
            f"\n        WATERMARK FOR rowtime AS rowtime - INTERVAL '{out_of_orderness_ms / 1000:.3f}' SECOND"
        )
    return f"""CREATE TEMPORARY TABLE {table} (
        message BYTES,
        source_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
        proctime AS PROCTIME(){time_cols}
    ) WITH (
        'connector' = 'kafka', 'topic' = '{topic}',
        {settings.flink_options()},
        'properties.group.id' = '{group_id}',
        'scan.startup.mode' = 'group-offsets',
        'properties.auto.offset.reset' = 'earliest',
        'format' = 'raw'{options}
    )"""


def keyed_sink_ddl(table: str, topic: str, guarantee: str = "at-least-once",
                   settings: KafkaSettings | None = None) -> str:  # fmt: skip
    """`k` becomes the message key, `v` the value (both raw strings)."""
    settings = settings or KafkaSettings.from_env()
    return f"""CREATE TEMPORARY TABLE {table} (k STRING, v STRING) WITH (
        'connector' = 'kafka', 'topic' = '{topic}',
        {settings.flink_options()},
        'key.format' = 'raw', 'key.fields' = 'k',
        'value.format' = 'raw', 'value.fields-include' = 'EXCEPT_KEY',
        'sink.delivery-guarantee' = '{guarantee}',
        'properties.linger.ms' = '5'
    )"""


def producer(settings: KafkaSettings | None = None, **overrides):
    from confluent_kafka import Producer

    settings = settings or KafkaSettings.from_env()
    return Producer(settings.client_config(**{"linger.ms": 5, **overrides}))


def end_offsets(topic: str, settings: KafkaSettings | None = None) -> dict[str, int]:
    """Each partition's next offset (what has been written so far), for the lineage."""
    from confluent_kafka import Consumer, TopicPartition

    settings = settings or KafkaSettings.from_env()
    consumer = Consumer(settings.client_config(**{"group.id": "flink-compliance-lineage",
                                                  "enable.auto.commit": False}))  # fmt: skip
    try:
        partitions = consumer.list_topics(topic, timeout=15).topics[topic].partitions
        return {str(p): consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1]
                for p in sorted(partitions)}  # fmt: skip
    finally:
        consumer.close()


def read_topic(topic: str, settings: KafkaSettings | None = None) -> Iterator[bytes]:
    """Every message value of a topic, from its start up to the end offsets when called."""
    from confluent_kafka import Consumer, TopicPartition

    settings = settings or KafkaSettings.from_env()
    ends = {int(p): n for p, n in end_offsets(topic, settings).items() if n > 0}
    consumer = Consumer(settings.client_config(**{"group.id": "flink-compliance-replay",
                                                  "enable.auto.commit": False}))  # fmt: skip
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in ends])
        left = dict(ends)
        while left:
            message = consumer.poll(15)
            if message is None:
                raise TimeoutError(f"topic {topic}: no message within 15 s, {left} left")
            if message.error():
                raise RuntimeError(f"topic {topic}: {message.error()}")
            partition = message.partition()
            if message.offset() >= ends[partition]:
                continue
            yield message.value()
            if message.offset() + 1 >= ends[partition]:
                left.pop(partition, None)
    finally:
        consumer.close()
