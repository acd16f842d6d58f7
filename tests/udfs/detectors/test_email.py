"""The column-wise e-mail check against its definition, around its length bounds."""

import random
import re

import pyarrow as pa

from udfs.detectors.email import ADDRESS, SHORT, whole_mask


def _values(rng: random.Random) -> list:
    local_chars = "abZ09._%+-"
    label_chars = "aZ9-"
    out = [None, "", "@", "a@b.cd", "a..b@c.de", "-a@b.cd", "a@-b.cd", "a@b.c", "ä@b.cd"]
    for _ in range(3_000):
        local = "".join(rng.choices(local_chars, k=rng.choice([1, 2, 5, 59, 60, 62, 63, 64, 65])))
        labels = [
            "".join(rng.choices(label_chars, k=rng.choice([1, 3, 60, 61, 62, 63, 64])))
            for _ in range(rng.randint(1, 2))
        ]
        tld = "".join(rng.choices("abcXYZ", k=rng.choice([1, 2, 24, 25])))
        value = f"{local}@{'.'.join(labels)}.{tld}"
        if rng.random() < 0.3:  # mostly valid: letters at the ends of the parts
            value = f"a{local[1:-1]}a@{'.'.join('b' + x[1:-1] + 'b' for x in labels)}.{tld}"
        out.append(value)
    return out


def test_whole_mask_is_a_full_match_of_the_address():
    values = _values(random.Random(3))
    expected = [v is not None and re.fullmatch(ADDRESS, v) is not None for v in values]
    assert whole_mask(pa.array(values)).tolist() == expected
    # Both sides of SHORT were tried, matching and not.
    assert {len(v) > SHORT for v, e in zip(values, expected, strict=True) if e} == {True, False}
    assert any(len(v or "") > SHORT and not e for v, e in zip(values, expected, strict=True))
