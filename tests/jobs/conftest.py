import secrets
from datetime import UTC, datetime

import pytest

from jobs.batch_compliance import BatchJob
from jobs.config import PipelineConfig
from tools.synthetic.generator import write_dataset

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
KEY = b"job-test-key-0123456789abcdef"
QUARANTINE_KEY = b"job-test-quarantine-key-0123456789"


def make_job(input_path, output, domain="healthcare", **kwargs) -> BatchJob:
    return BatchJob(
        input=input_path,
        domain=domain,
        output=output,
        as_of=AS_OF,
        key_secret=kwargs.pop("key_secret", KEY),
        quarantine_secret=kwargs.pop("quarantine_secret", QUARANTINE_KEY),
        pipeline=kwargs.pop("pipeline", None) or PipelineConfig.load(),
        quiet=True,
        **kwargs,
    )


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    write_dataset("healthcare", 3000, out, seed=13, as_of=AS_OF, jsonl=False)
    return out


@pytest.fixture
def throwaway_secret():
    return secrets.token_bytes(32)
