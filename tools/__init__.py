"""Tools that run beside the jobs, not inside them (the report)."""
