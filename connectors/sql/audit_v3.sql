-- flink-compliance audit trail, schema version 3: the differential-privacy ledger
-- (connectors.ledger). One row per published release of an aggregate: its window of event time
-- and the ε and δ it spent. A day's spending is the sum over the rows whose window covers it.
CREATE TABLE IF NOT EXISTS dp_ledger (
    id           BIGSERIAL PRIMARY KEY,
    domain       TEXT NOT NULL,
    aggregate    TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end   TIMESTAMPTZ NOT NULL CHECK (window_end > window_start),
    epsilon      DOUBLE PRECISION NOT NULL CHECK (epsilon > 0),
    delta        DOUBLE PRECISION NOT NULL CHECK (delta >= 0),
    mechanism    TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    spent_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dp_ledger_windows ON dp_ledger (domain, window_start, window_end);

INSERT INTO schema_version (version) VALUES (3) ON CONFLICT DO NOTHING;
