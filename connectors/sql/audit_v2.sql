-- flink-compliance audit trail, schema version 2: the indexes of the report (jobs.report).
-- The violations of a time window are aggregated from one covering index (an index-only scan
-- over the window, not over the table: a month's report reads a month, whatever the history);
-- it replaces version 1's plain index on detected_at. Runs are listed by their start.
CREATE INDEX IF NOT EXISTS violations_report
    ON violations (detected_at) INCLUDE (domain, regulation, severity, rule_id, field);
DROP INDEX IF EXISTS violations_by_time;
CREATE INDEX IF NOT EXISTS job_runs_by_start ON job_runs (started_at);

INSERT INTO schema_version (version) VALUES (2) ON CONFLICT DO NOTHING;
