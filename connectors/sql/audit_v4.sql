-- flink-compliance audit trail, schema version 4: data quality and lineage. Each run's quality
-- (udfs.quality: the five metrics, the score and its level, the thresholds it failed) on its
-- job_runs row; every OpenLineage run event (connectors.lineage) in `lineage`, with its input
-- and output datasets as "namespace/name" arrays, so that "which run produced this lake
-- partition" is one indexed query.
ALTER TABLE job_runs ADD COLUMN IF NOT EXISTS quality JSONB;

CREATE TABLE IF NOT EXISTS lineage (
    id          BIGSERIAL PRIMARY KEY,
    job_id      TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    event_time  TIMESTAMPTZ NOT NULL,
    inputs      TEXT[] NOT NULL DEFAULT '{}',
    outputs     TEXT[] NOT NULL DEFAULT '{}',
    event       JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS lineage_job ON lineage (job_id);
CREATE INDEX IF NOT EXISTS lineage_outputs ON lineage USING GIN (outputs);

INSERT INTO schema_version (version) VALUES (4) ON CONFLICT DO NOTHING;
