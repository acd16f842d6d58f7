import json
import random

import numpy as np
import pyarrow as pa

from udfs.json_columns import (
    concat,
    json_arrays,
    json_numbers,
    json_object,
    json_strings,
    string_parts,
)

COMPACT = json.JSONEncoder(separators=(",", ":")).encode


def random_texts(count: int, seed: int = 1) -> list[str | None]:
    # ASCII (controls, DEL, quotes, backslashes), Latin, CJK, lone surrogates' neighbours,
    # emoji (two UTF-16 units in json's escapes), empty strings and nulls.
    rng = random.Random(seed)
    alphabet = [lambda: rng.randint(0, 0x7F), lambda: rng.randint(0x80, 0x3000),
                lambda: rng.choice([0x1F44B, 0x10FFFF, 0xE000, 0xFFFF])]  # fmt: skip
    texts: list[str | None] = []
    for _ in range(count):
        if rng.random() < 0.05:
            texts.append(None)
        elif rng.random() < 0.5:
            texts.append("".join(chr(rng.randint(0x20, 0x7E)) for _ in range(rng.randint(0, 9))))
        else:
            texts.append("".join(chr(rng.choice(alphabet)()) for _ in range(rng.randint(0, 9))))
    return texts


def test_strings_are_what_json_dumps_writes_for_each_value():
    texts = random_texts(5_000)
    assert json_strings(pa.array(texts)).to_pylist() == [json.dumps(t) for t in texts]


def test_a_column_with_nothing_to_escape_and_an_empty_or_chunked_one():
    plain = ["a b", "#[]~", "", None]
    assert json_strings(pa.array(plain)).to_pylist() == [json.dumps(t) for t in plain]
    assert json_strings(pa.array([], pa.string())).to_pylist() == []
    chunked = pa.chunked_array([["x\n"], ["é", None]])
    assert json_strings(chunked).to_pylist() == ['"x\\n"', '"\\u00e9"', "null"]


def test_objects_and_arrays_are_the_compact_json_of_the_rows():
    texts = random_texts(300, seed=2)
    names = [t or "" for t in random_texts(300, seed=3)]
    numbers = [None if i % 4 == 0 else i * 10**9 for i in range(300)]
    rng = np.random.default_rng(4)
    lengths = rng.integers(0, 4, 300)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    items = [f'item "{i}"' for i in range(int(ends[-1]))]
    plain = [f"v{i}" for i in range(300)]  # between quotes as they are
    odd = [f"v{i}" if i % 50 else "\t" for i in range(300)]  # JSON text first
    parts = json_object(
        [
            ("text", json_strings(pa.array(texts))),
            ("kind", json.dumps("fixed")),
            ("n", json_numbers(pa.array(numbers, pa.int64()))),
            ("names", json_arrays(json_strings(pa.array(items)), starts, ends)),
            ("é key", json_strings(pa.array(names))),
            ("plain", string_parts(pa.array(plain))),
            ("odd", string_parts(pa.array(odd))),
        ]
    )
    got = concat(parts, 300).to_pylist()
    want = [
        COMPACT({"text": texts[i], "kind": "fixed", "n": numbers[i],
                 "names": items[starts[i] : ends[i]], "é key": names[i], "plain": plain[i],
                 "odd": odd[i]})
        for i in range(300)
    ]  # fmt: skip
    assert got == want


def test_rows_without_a_column_are_the_literal_repeated():
    assert concat(json_object([("a", "1")]), 2).to_pylist() == ['{"a":1}', '{"a":1}']


def test_only_a_clean_column_without_nulls_goes_in_as_it_is():
    assert string_parts(pa.array(["a", "b c"]))[0] == '"'
    for values in (["a", None], ['say "x"'], ["back\\slash"], ["é"], ["\x7f"], ["\x1f"]):
        parts = string_parts(pa.array(values))
        assert len(parts) == 1 and parts[0].to_pylist() == [json.dumps(v) for v in values]
