from scripts.benchmarks.flink_log import minicluster_start_seconds

LOG = """\
2026-12-04 21:52:47,100 INFO  org.apache.flink.runtime.minicluster.MiniCluster [] - Starting Flink Mini Cluster
2026-12-04 21:52:47,307 INFO  org.apache.flink.runtime.minicluster.MiniCluster [] - Starting Metrics Registry
2026-12-04 21:52:48,379 INFO  org.apache.flink.runtime.minicluster.MiniCluster [] - Flink Mini Cluster started successfully
2026-12-04 21:53:01,000 INFO  org.apache.flink.runtime.minicluster.MiniCluster [] - Starting Flink Mini Cluster
2026-12-04 21:53:09,000 INFO  org.apache.flink.runtime.minicluster.MiniCluster [] - Flink Mini Cluster started successfully
"""


def test_the_first_minicluster_start_is_timed():
    assert minicluster_start_seconds(LOG) == 1.279


def test_a_log_without_both_lines_gives_none():
    assert minicluster_start_seconds(LOG.splitlines()[0]) is None
    assert minicluster_start_seconds("") is None
