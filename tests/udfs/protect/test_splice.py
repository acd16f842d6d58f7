"""Spans replaced over a whole column against udfs.protect.mask.mask_text."""

import random

import pyarrow as pa

from tests.udfs.detectors.test_spans import _texts
from udfs.detectors import BUILTIN
from udfs.detectors.columns import ColumnScanner
from udfs.protect.mask import mask_text
from udfs.protect.splice import replace_spans, span_texts


def _next_of(values):
    it = iter(values)
    return lambda kind, text: next(it)


def test_replace_spans_gives_what_mask_text_gives():
    texts = [t.replace("\n", " ").replace("é", "e") for t in _texts(5, 1_500)]
    column = pa.array(texts, pa.string()).slice(3)  # an offset into the buffers too
    texts = texts[3:]
    spans = ColumnScanner(BUILTIN.values()).scan_columns(column)
    assert len(spans.rows) > 500
    found = span_texts(column, spans).to_pylist()
    assert found == [
        texts[r][s:e] for r, s, e in zip(spans.rows, spans.starts, spans.ends, strict=True)
    ]
    rng = random.Random(1)
    made = [f"<{rng.randint(0, 99)}>" for _ in found]
    rows, values = replace_spans(column, spans, pa.array(made, pa.string()))
    by_row = spans.as_dict()
    at = iter(made)
    replacements = {r: [next(at) for _ in by_row[r]] for r in sorted(by_row)}
    expected = [mask_text(texts[r], by_row[r], _next_of(replacements[r])) for r in rows.tolist()]
    assert rows.tolist() == sorted(by_row)
    assert values.to_pylist() == expected
