from udfs.detectors import BUILTIN, TextScanner, detectors_for


def test_overlaps_resolve_by_priority():
    scanner = TextScanner(BUILTIN.values())
    text = "card 4111 1111 1111 1111, ssn 123-45-6789, mail a.b@example.com, cvv 123"
    kinds = [(s.kind, text[s.start : s.end]) for s in scanner.scan(text)]
    assert kinds == [
        ("card", "4111 1111 1111 1111"),
        ("ssn", "123-45-6789"),
        ("email", "a.b@example.com"),
        ("cvv", "cvv 123"),
    ]


def test_unknown_detector_is_a_clear_error():
    try:
        detectors_for(["ssn", "passport"])
    except KeyError as err:
        assert "passport" in str(err)
    else:
        raise AssertionError("expected KeyError")


def test_nothing_in_plain_words():
    assert TextScanner(BUILTIN.values()).scan("patient reports mild pain") == []
