"""The column scan (joined texts, udfs.detectors.spans) against the per-text scan, and the
column spans' views."""

import random

import numpy as np
import pyarrow as pa
import pytest

from udfs.detectors import BUILTIN, TextScanner, detectors_for
from udfs.detectors.columns import ColumnScanner
from udfs.detectors.spans import ColumnSpans, joined_spans

FRAGMENTS = [
    "call", "see", "labs", "ok.", "4111 1111 1111 1111", "4111111111111112", "123-45-6789",
    "666-12-3456", "(212) 555-0123", "+44 20 7946 0958", "212-111-0123", "dob 1980-02-30",
    "born 02/01/1980", "jo@example.com", "a..b@example.com", "http://www.example.com/p/1",
    "http://localhost", "www.example.org.", "10.0.0.1", "1.2.3", "fe80::1", "cvv: 123",
    "%B4111111111111111^DOE/JOHN^2512", ";4111111111111111=2512", "MRN-12345678",
    "GB82 WEST 1234 5698 7654 32", "E11.9", "1EG4-TE5-MK73", "café 123-45-6789", "",
    "a\nb 123-45-6789", "http://www.example.com/x", "x-123-45-6789", "4222222222222 4222222222222",
]  # fmt: skip


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(FRAGMENTS, k=rng.randint(0, 5))) for _ in range(count)]


def _reference(detectors, texts):
    scanner = TextScanner(detectors)
    return {i: spans for i, text in enumerate(texts) if (spans := scanner.scan(text))}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_column_scan_finds_what_the_per_text_scan_finds(seed):
    texts = _texts(seed, 2_000)  # above the small-column size: the column path
    scanner = ColumnScanner(BUILTIN.values())
    assert scanner.scan(pa.array(texts, pa.string())) == _reference(scanner.detectors, texts)


def test_a_detector_that_cannot_join_is_run_per_text():
    detectors = detectors_for(["mrn", "ssn", "phone"], mrn_pattern=r"^MRN\d{4}$|ID-\d{6}")
    assert not detectors[0].joinable
    texts = ["MRN1234", "see ID-123456 and 123-45-6789", "(212) 555-0123 ID-654321"] * 200
    scanner = ColumnScanner(detectors)
    assert scanner.scan(pa.array(texts, pa.string())) == _reference(scanner.detectors, texts)


def test_a_match_reaching_over_a_text_end_is_not_kept():
    # The CVV pattern runs on over the line break after the first text: both are scanned alone.
    texts = ["card cvv", "123 and more", "its cvv: 456"]
    found, starts, ends, crossed = joined_spans(BUILTIN["cvv"], pa.array(texts, pa.string()))
    assert crossed.tolist() == [0, 1]
    assert (found.tolist(), starts.tolist(), ends.tolist()) == ([2], [4], [12])
    scanner = ColumnScanner(BUILTIN.values())
    column = pa.array(texts * 100, pa.string())
    assert scanner.scan(column) == _reference(scanner.detectors, texts * 100)


def test_the_span_group_and_the_pre_test_hold_in_joined_texts():
    dob = BUILTIN["dob"]
    texts = ["dob 1980-02-01", "nothing", "born on Jan 5, 1990 ok"]
    found, starts, ends, _ = joined_spans(dob, pa.array(texts, pa.string()))
    assert [texts[r][s:e] for r, s, e in zip(found, starts, ends, strict=True)] == [
        "1980-02-01",
        "Jan 5, 1990",
    ]
    url = BUILTIN["url"]  # "http://localhost" has no dot: its pre-test skips the text
    found, *_ = joined_spans(url, pa.array(["http://localhost", "www.a.org"], pa.string()))
    assert found.tolist() == [1]


def test_column_spans_views():
    found = {0: [TextScanner([BUILTIN["ssn"]]).scan("123-45-6789")[0]], 3: []}
    spans = ColumnSpans.from_dict(("ssn", "card"), {k: v for k, v in found.items() if v})
    assert spans.as_dict() == {0: found[0]}
    assert spans.rows_with({"ssn"}, 4).tolist() == [True, False, False, False]
    assert not spans.rows_with({"card"}, 4).any()
    assert ColumnSpans.empty(("ssn",)).as_dict() == {}
    assert np.array_equal(spans.of_kinds(["card"]), [False])


def test_a_span_group_detector_whose_every_match_is_invalid_finds_nothing():
    # Found by the streaming job: a bundle of a few dozen messages whose only date-of-birth
    # match was no date made the worker fail (and the job restart on the same input).
    texts = ["dob 1980-13-45", "nothing here", "born 2001-02-30"]
    found, starts, ends, crossed = joined_spans(BUILTIN["dob"], pa.array(texts, pa.string()))
    assert (found.tolist(), starts.tolist(), ends.tolist(), crossed.tolist()) == ([], [], [], [])
