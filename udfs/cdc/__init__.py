"""Change data capture: a source table's rows (Debezium change events of PostgreSQL) mapped onto
a domain's contract (spec), and a batch of change events split into records, deletions and
refused messages before the engine (changes)."""
