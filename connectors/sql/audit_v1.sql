-- flink-compliance audit trail, schema version 1. Tokens only: no raw PII is ever written here.
CREATE TABLE IF NOT EXISTS schema_version (
    version     integer PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS job_runs (
    job_id             text PRIMARY KEY,
    job_name           text NOT NULL,
    domain             text NOT NULL,
    mode               text NOT NULL,            -- BATCH | STREAMING
    started_at         timestamptz NOT NULL,
    finished_at        timestamptz,
    status             text NOT NULL,            -- RUNNING | SUCCEEDED | NOT_RELEASED | FAILED
    records_in         bigint,
    published          bigint,
    suppressed         bigint,
    quarantined        bigint,
    violations         bigint,
    information_loss   double precision,
    summary            jsonb
);

CREATE TABLE IF NOT EXISTS violations (
    domain       text NOT NULL,
    record_id    text NOT NULL,
    rule_id      text NOT NULL,
    field        text NOT NULL,
    regulation   text NOT NULL,
    severity     text NOT NULL,
    description  text NOT NULL,
    detected_at  timestamp(3) NOT NULL,
    job_id       text NOT NULL,
    PRIMARY KEY (domain, record_id, rule_id, field)  -- a retried job upserts, never duplicates
);
CREATE INDEX IF NOT EXISTS violations_by_time ON violations (detected_at);

CREATE TABLE IF NOT EXISTS quarantine (
    job_id   text NOT NULL,
    reason   text NOT NULL,
    records  bigint NOT NULL,
    PRIMARY KEY (job_id, reason)
);

CREATE TABLE IF NOT EXISTS audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    job_id      text,
    event       text NOT NULL,
    detail      jsonb
);

INSERT INTO schema_version (version) VALUES (1) ON CONFLICT DO NOTHING;
