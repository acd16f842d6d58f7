"""Splits read every line of a file exactly once wherever the cuts fall, and count as records
exactly the lines the engine treats as records (not blank, not the header)."""

import random

import pytest

from connectors.splits import plan_for_workers, plan_splits, read_split

HEADER = b"record_id,a,b"


def _lines(rng: random.Random) -> list[bytes]:
    first = rng.choice([HEADER, b"\xef\xbb\xbf" + HEADER, HEADER + b"\r"])
    choices = [b"", HEADER, HEADER + b"\r", b"r1,x", b"r2,yy\r", b" \t", "\u3000".encode(),
               b"\xff\xfe", b"r3," + b"z" * 300, "\u00a0x".encode(), "é,1".encode(), b"\x1f ",
               "\u2003\u3000".encode(), b" r4,q"]  # fmt: skip
    return [first] + [rng.choice(choices) for _ in range(rng.randint(0, 80))]


@pytest.mark.parametrize("seed", range(12))
def test_every_line_once_and_the_records_counted(tmp_path, seed):
    rng = random.Random(seed)
    lines = _lines(rng)
    data = b"\n".join(lines) + rng.choice([b"", b"\n"])
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    body = data.split(b"\n")[1:]
    if data.endswith(b"\n"):
        body = body[:-1]
    records = sum(
        1
        for line in body
        if line.rstrip(b"\r") != HEADER and line.decode("utf-8", "replace").strip()
    )
    for split_bytes in (1, 3, 17, 100, 1 << 20):
        seen, counted = [], 0
        for split in plan_splits([str(path)], split_bytes):
            for batch in read_split(split, HEADER, batch_bytes=rng.choice([2, 40, 4096])):
                seen += batch.lines.to_pylist()
                counted += batch.records
        assert seen == body
        assert counted == records


def test_an_empty_file_has_one_split_and_no_line(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    (split,) = plan_splits([str(path)], 1 << 20)
    assert list(read_split(split, HEADER, 1 << 20)) == []


@pytest.mark.parametrize(("mib", "workers", "count"), [(197, 2, 14), (1972, 2, 124), (30, 2, 8),
                                                       (197, 3, 15), (3, 2, 3)])  # fmt: skip
def test_splits_for_workers_are_even_and_cover_the_input(tmp_path, mib, workers, count):
    """As many splits of one size as keeps every worker as busy as the others (1 MiB at least:
    a 3 MiB input gets 3)."""
    path = tmp_path / "in.csv"
    with path.open("wb") as f:
        f.truncate(mib * 2**20)
    splits = plan_for_workers([str(path)], 16 * 2**20, workers)
    assert len(splits) == count
    assert [s.start for s in splits[1:]] == [s.end for s in splits[:-1]]
    assert splits[0].start == 0 and splits[-1].end == mib * 2**20
    sizes = {s.end - s.start for s in splits[:-1]}
    assert len(sizes) == 1 and splits[-1].end - splits[-1].start <= sizes.pop()
