"""A tiny PyFlink job with one Python UDF: proves the cluster runs the project's Python.

flink run --python jobs/smoke.py --pyFiles <package> -- --output DIR
"""

from __future__ import annotations

import argparse
import sys

from jobs.runtime import python_settings, stream_table_env


def build(t_env, output: str):
    from pyflink.table import DataTypes
    from pyflink.table.udf import udf

    from udfs.detectors.ssn import SSN

    @udf(result_type=DataTypes.BOOLEAN())
    def looks_like_ssn(text: str) -> bool:
        return SSN.judge(text)

    t_env.create_temporary_function("looks_like_ssn", looks_like_ssn)
    t_env.execute_sql(
        f"""CREATE TABLE smoke_out (v STRING, is_ssn BOOLEAN) WITH (
            'connector' = 'filesystem', 'path' = '{output}', 'format' = 'csv')"""
    )
    values = t_env.from_elements([("123-45-6789",), ("666-45-6789",), ("hello",)], ["v"])
    t_env.create_temporary_view("smoke_in", values)
    return t_env.execute_sql("INSERT INTO smoke_out SELECT v, looks_like_ssn(v) FROM smoke_in")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", required=True)
    args, _ = parser.parse_known_args(argv)
    _, t_env = stream_table_env(batch=True, settings=python_settings(1))
    build(t_env, args.output).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
