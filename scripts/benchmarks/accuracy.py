"""Accuracy of the rules against generated ground truth — per regulation, per field and per
identifier kind — and their speed on one core: the per-record rules, and the columnar engine
with the rule set as configured beside the same rule set without the newer free-text kinds
(ip, url, mbi, dob), on the same rows in the same run."""

from __future__ import annotations

import csv
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from tools.synthetic.generator import DEFAULT_AS_OF, write_dataset
from udfs.rules import load_rule_set
from udfs.schema import load_schema, read_rules
from udfs.validation import RecordInvalid, validate_record

Key = tuple[str, str, str]  # record_id, regulation, field
KindKey = tuple[str, str, str]  # record_id, field, kind
NEWER_KINDS = ("ip", "url", "mbi", "dob")
RULE_KINDS = {"pci.card_in_clear": "card", "pci.cvv_or_track": "cvv", "gdpr.consent": "consent",
              "gdpr.retention": "retention", "location.precise_gps": "gps"}  # fmt: skip


def read_records(path: Path, domain: str) -> list[dict[str, str]]:
    names = load_schema(domain).names
    with open(path, newline="", encoding="utf-8") as handle:
        return [dict(zip(names, row, strict=False)) for row in list(csv.reader(handle))[1:]]


def read_labels(path: Path) -> set[Key]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {(r["record_id"], r["regulation"], r["field"]) for r in csv.DictReader(handle)}


def read_kind_labels(path: Path) -> set[KindKey]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {(r["record_id"], r["field"], r["kind"]) for r in csv.DictReader(handle)}


def found_kinds(rules_by_id: dict, view, violation) -> set[str]:
    """The identifier kinds a violation is about: its field's declared kind, the kinds of the
    spans its rule looks for in free text, or the rule's own subject."""
    rule = rules_by_id[violation.rule_id]
    fields = getattr(rule, "fields", None)
    if isinstance(fields, dict):
        return {fields[violation.field]}
    if violation.rule_id in RULE_KINDS:
        return {RULE_KINDS[violation.rule_id]}
    return {s.kind for s in view.spans(violation.field) if s.kind in rule.kinds}


def score(
    found: set[Key], truth: set[Key], by: int
) -> dict[str, tuple[float, float, int, int, int]]:
    """Per key part `by` (1 regulation, 2 field): precision, recall, TP, FP, FN."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for key in found & truth:
        tp[key[by]] += 1
    for key in found - truth:
        fp[key[by]] += 1
    for key in truth - found:
        fn[key[by]] += 1
    out = {}
    for name in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[name] / (tp[name] + fp[name]) if tp[name] + fp[name] else 1.0
        r = tp[name] / (tp[name] + fn[name]) if tp[name] + fn[name] else 1.0
        out[name] = (p, r, tp[name], fp[name], fn[name])
    return out


def engine_speed(domain: str, path: Path, without: tuple[str, ...] = (), repeats: int = 3) -> float:
    """Records/s of the columnar engine over the file in batches of 5,000 (best of `repeats`),
    with the kinds `without` left out of the free-text rules."""
    import copy
    import dataclasses

    import pyarrow as pa

    from udfs.engine import Engine
    from udfs.protect.record import DEFAULT_MASK_KINDS

    config = copy.deepcopy(read_rules(domain))
    for params in (config.get("rules") or {}).values():
        if params and "kinds" in params:
            params["kinds"] = [k for k in params["kinds"] if k not in without]
    lines = path.read_bytes().split(b"\n")
    header, body = lines[0].decode(), [line for line in lines[1:] if line]
    arrays = [pa.array(body[i : i + 5000], pa.binary()) for i in range(0, len(body), 5000)]
    schema = load_schema(domain)
    if without:  # masking looks for every kind too: leave them out there as well
        kinds = schema.protection.get("mask_kinds") or DEFAULT_MASK_KINDS
        protection = {**schema.protection, "mask_kinds": [k for k in kinds if k not in without]}
        schema = dataclasses.replace(schema, protection=protection)
    engine = Engine(schema, config, DEFAULT_AS_OF, b"accuracy-bench-key-0123456789",
                    layouts={"/in.csv": header})  # fmt: skip
    engine.process_lines(arrays[0])
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for array in arrays:
            engine.process_lines(array)
        best = min(best, time.perf_counter() - started)
    return len(body) / best


def evaluate(domain: str, rows: int, out: Path, seed: int = 7, repeats: int = 5) -> dict:
    data = out / f"accuracy-{domain}"
    write_dataset(domain, rows, data, seed=seed, as_of=DEFAULT_AS_OF, jsonl=False)
    schema = load_schema(domain)
    rules = load_rule_set(domain, as_of=DEFAULT_AS_OF)
    records = []
    for record in read_records(data / "records.csv", domain):
        try:
            validate_record(record, schema)
        except RecordInvalid:
            continue
        records.append(record)
    best = float("inf")
    found: set[Key] = set()
    for _ in range(repeats):
        started = time.perf_counter()
        results = [rules.evaluate(record) for record in records]
        best = min(best, time.perf_counter() - started)
    kinds_found: set[KindKey] = set()
    rules_by_id = {rule.rule_id: rule for rule in rules.rules}
    for record, violations in zip(records, results, strict=True):
        found.update((record["record_id"], v.regulation, v.field) for v in violations)
        view = rules.view(record)
        for violation in violations:
            for kind in found_kinds(rules_by_id, view, violation):
                kinds_found.add((record["record_id"], violation.field, kind))
    truth = read_labels(data / "labels.csv")
    kind_truth = read_kind_labels(data / "labels.csv")
    return {
        "domain": domain,
        "records": len(records),
        "labelled": len(truth),
        "by_regulation": score(found, truth, 1),
        "by_field": score(found, truth, 2),
        "by_kind": score(kinds_found, kind_truth, 2),
        "records_per_s": len(records) / best,
        "engine_records_per_s": engine_speed(domain, data / "records.csv"),
        "engine_records_per_s_without_newer_kinds": engine_speed(
            domain, data / "records.csv", NEWER_KINDS
        ),
    }


def run(rows: int, out: Path) -> list[dict]:
    reports = []
    for domain in ("healthcare", "financial"):
        report = evaluate(domain, rows, out)
        reports.append(report)
        print(f"\n{domain}: {report['records']:,} valid records, {report['labelled']:,} labelled "
              f"violations, rules on one core: {report['records_per_s']:,.0f} records/s; the "
              f"engine {report['engine_records_per_s']:,.0f} records/s, without the kinds "
              f"{', '.join(NEWER_KINDS)} {report['engine_records_per_s_without_newer_kinds']:,.0f}")  # fmt: skip
        for title, key in (
            ("regulation", "by_regulation"),
            ("field", "by_field"),
            ("kind", "by_kind"),
        ):
            print(f"  {title:22} precision  recall      TP      FP      FN")
            for name, (p, r, tp, fp, fn) in report[key].items():
                print(f"  {name:22} {p:9.4f} {r:7.4f} {tp:7d} {fp:7d} {fn:7d}")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"\n(accuracy run at {stamp}; data under {out})")
    return reports
