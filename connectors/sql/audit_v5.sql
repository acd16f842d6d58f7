-- flink-compliance audit trail, schema version 5: change data capture. A row deleted in a
-- source table (jobs.stream_compliance --cdc) leaves the source: no lake row, this entry.
-- The key holds the change's position (the WAL's LSN), so a replay after a restore upserts
-- the same entry, and a row deleted, inserted again and deleted again has two.
CREATE TABLE IF NOT EXISTS source_deletions (
    domain       TEXT NOT NULL,
    source       TEXT NOT NULL,          -- schema.table in the source database
    record_id    TEXT NOT NULL,
    lsn          BIGINT NOT NULL,
    deleted_at   TIMESTAMP,              -- when the source committed the delete (UTC)
    detected_at  TIMESTAMP NOT NULL,
    job_id       TEXT NOT NULL,
    PRIMARY KEY (domain, source, record_id, lsn)
);

INSERT INTO schema_version (version) VALUES (5) ON CONFLICT DO NOTHING;
