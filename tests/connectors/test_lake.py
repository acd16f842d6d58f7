from udfs.pipeline import FIELD_SEP, encode_violations


def test_encoded_violation_splits_back_into_its_fields():
    violation = ("pci.card", "PCI-DSS", "notes", "critical", "card number in free text")
    (encoded,) = encode_violations([violation])
    assert tuple(encoded.split(FIELD_SEP)) == violation
