"""Tools that run beside the jobs, not inside them: the synthetic data generator, the Kafka
ingest tool, the Flink REST client and submitter, the deployment's init, the report."""
