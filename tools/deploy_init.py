"""One-shot initialisation of a deployment: Kafka topics and the audit schema (docker compose's
`init` service; also usable against any Kafka and PostgreSQL)."""

from __future__ import annotations

import sys
import time

from connectors import audit, kafka
from connectors.settings import DatabaseSettings, passfile_line
from jobs.config import PipelineConfig


def main(argv: list[str] | None = None) -> int:
    pipeline = PipelineConfig.load()
    topics = list(pipeline.kafka.topics.values())
    partitions = pipeline.kafka.partitions
    deadline = time.monotonic() + 120
    while True:
        try:
            created = kafka.ensure_topics(topics, partitions)
            conn = audit.connect()
            version = audit.ensure_schema(conn)
            conn.close()
            settings = DatabaseSettings.from_env()
            if settings.passfile is not None:  # the TaskManagers' JDBC sink reads it there
                passfile_line(settings, settings.passfile)
            break
        except Exception as err:  # services still starting: retry for two minutes
            if time.monotonic() > deadline:
                print(f"init: failed: {err}", file=sys.stderr)
                return 1
            time.sleep(3)
    print(
        f"init: topics {', '.join(topics)} ready ({len(created)} created); audit schema v{version}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
