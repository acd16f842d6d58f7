"""Accuracy of the rules against generated ground truth, and their speed on one core."""

from __future__ import annotations

import csv
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from connectors.synthetic.generator import DEFAULT_AS_OF, write_dataset
from udfs.rules import load_rule_set
from udfs.schema import load_schema
from udfs.validation import RecordInvalid, validate_record

Key = tuple[str, str, str]  # record_id, regulation, field


def read_records(path: Path, domain: str) -> list[dict[str, str]]:
    names = load_schema(domain).names
    with open(path, newline="", encoding="utf-8") as handle:
        return [dict(zip(names, row, strict=False)) for row in list(csv.reader(handle))[1:]]


def read_labels(path: Path) -> set[Key]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {(r["record_id"], r["regulation"], r["field"]) for r in csv.DictReader(handle)}


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
    for record, violations in zip(records, results, strict=True):
        found.update((record["record_id"], v.regulation, v.field) for v in violations)
    truth = read_labels(data / "labels.csv")
    return {
        "domain": domain,
        "records": len(records),
        "labelled": len(truth),
        "by_regulation": score(found, truth, 1),
        "by_field": score(found, truth, 2),
        "records_per_s": len(records) / best,
    }


def run(rows: int, out: Path) -> list[dict]:
    reports = []
    for domain in ("healthcare", "financial"):
        report = evaluate(domain, rows, out)
        reports.append(report)
        print(f"\n{domain}: {report['records']:,} valid records, {report['labelled']:,} labelled "
              f"violations, rules on one core: {report['records_per_s']:,.0f} records/s")  # fmt: skip
        for title, key in (("regulation", "by_regulation"), ("field", "by_field")):
            print(f"  {title:22} precision  recall      TP      FP      FN")
            for name, (p, r, tp, fp, fn) in report[key].items():
                print(f"  {name:22} {p:9.4f} {r:7.4f} {tp:7d} {fp:7d} {fn:7d}")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"\n(accuracy run at {stamp}; data under {out})")
    return reports
