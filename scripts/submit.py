"""Submit a job to a running Flink cluster: scripts/submit JOB [--detached] [--from-savepoint PATH]
[--rest URL] -- [job arguments]; or stop one with a savepoint: scripts/submit --stop JOB_ID [--drain]

JOB is batch_compliance or stream_compliance (a module under jobs/). The package goes as
--pyFiles, the jars through pipeline.jars, and the UDF workers use this project's Python.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.flink_cluster import stop_with_savepoint, submit_python  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/submit", description=__doc__.split("\n")[0])
    parser.add_argument("job", nargs="?", help="job module under jobs/, e.g. batch_compliance")
    parser.add_argument(
        "--stop", metavar="JOB_ID", help="stop this job with a savepoint and print its path"
    )
    parser.add_argument(
        "--drain", action="store_true", help="with --stop: fire all event-time windows first"
    )
    parser.add_argument("--detached", action="store_true", help="return at once (streaming jobs)")
    parser.add_argument("--from-savepoint", help="resume from this savepoint path")
    parser.add_argument(
        "--rest",
        help="JobManager REST URL (default COMPLIANCE_FLINK_REST or http://127.0.0.1:8081)",
    )
    args, job_args = parser.parse_known_args(argv)
    if args.stop:
        try:
            print(stop_with_savepoint(args.stop, rest_url=args.rest, drain=args.drain))
        except (OSError, RuntimeError, TimeoutError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    if not args.job:
        parser.error("name a job (batch_compliance or stream_compliance) or use --stop JOB_ID")
    if job_args and job_args[0] == "--":
        job_args = job_args[1:]
    script = ROOT / "jobs" / f"{args.job}.py"
    if not script.is_file():
        print(f"error: no job {args.job!r} (expected {script.relative_to(ROOT)})", file=sys.stderr)
        return 2
    try:
        job_id, output = submit_python(
            script, job_args, args.detached, args.from_savepoint, args.rest
        )
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(output.strip()[-2000:], file=sys.stderr)
    print(job_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
