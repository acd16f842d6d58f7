from collections import Counter

from udfs.anonymity.hierarchies import hierarchies_from_config
from udfs.anonymity.windows import close_window
from udfs.schema import load_schema

ANON = load_schema("healthcare").anonymity
HIER = hierarchies_from_config(ANON)
LADDER = ANON["stream_ladder"]
QIS = list(LADDER[0])


def item(i, zip_code, dob, event_ms=0):
    values = {
        "date_of_birth": dob,
        "gender": "F",
        "zip_code": zip_code,
        "latitude": "40.71",
        "longitude": "-74.00",
    }
    return values, {"record_id": f"r{i}", **values}, event_ms


def test_groups_of_k_released_small_ones_climb_then_wait_or_suppress():
    pending = [item(i, "94110", "1980-01-01") for i in range(5)]  # a group of 5 at rung 0
    pending += [
        item(10 + i, "30301", f"198{i + 1}-05-05") for i in range(3)
    ]  # 3 that merge at a higher rung
    pending += [item(20, "10001", "1950-01-01", event_ms=900)]  # alone, young: waits
    pending += [item(21, "60601", "1950-01-01", event_ms=0)]  # alone, old: suppressed
    result = close_window(pending, HIER, LADDER, k=3, now_ms=1000, max_delay_ms=500)
    rungs = Counter(r.rung for r in result.released)
    assert rungs[0] == 5 and sum(rungs.values()) == 8
    assert [r["record_id"] for r in result.suppressed] == ["r21"]
    assert [w[1]["record_id"] for w in result.waiting] == ["r20"]
    groups = Counter((r.rung, tuple(r.generalized.values())) for r in result.released)
    assert min(groups.values()) >= 3
    assert len(result.released) + len(result.suppressed) + len(result.waiting) == len(pending)


def pending_items(count, start_ms, step_ms):
    from udfs.anonymity.windows import Pending, window_end

    items = []
    for i in range(count):
        values = {
            "date_of_birth": f"19{50 + i % 40}-01-01",
            "gender": "FM"[i % 2],
            "zip_code": ["94110", "10001", "30301"][i % 3],
            "latitude": "40.71",
            "longitude": "-74.00",
        }
        event = start_ms + i * step_ms
        items.append(Pending(values, {"record_id": f"r{i}"}, event, window_end(event, 1000)))
    return items


def run_stepwise(items, watermarks):
    from udfs.anonymity.windows import fire_due

    released, suppressed, pending = [], [], items
    for watermark in watermarks:
        r, s, pending = fire_due(pending, watermark, 1000, HIER, LADDER, 3, 3000)
        released += r
        suppressed += s
    return released, suppressed, pending


def test_outcome_does_not_depend_on_watermark_steps():
    """A stream (many watermarks) and a bounded run (one final watermark) agree."""
    final = 2**62
    a = run_stepwise(pending_items(200, 0, 37), [*range(500, 9000, 700), final])
    b = run_stepwise(pending_items(200, 0, 37), [final])

    def key(result):
        return sorted(
            (r.record["record_id"], r.rung, tuple(r.generalized.values())) for r in result[0]
        )

    assert key(a) == key(b)
    assert sorted(x["record_id"] for x in a[1]) == sorted(x["record_id"] for x in b[1])
    assert len(a[0]) + len(a[1]) == 200 and a[2] == [] == b[2]


def test_waiting_records_are_kept_until_the_watermark_passes():
    released, suppressed, pending = run_stepwise(pending_items(2, 0, 10), [999])
    assert released == [] and suppressed == [] and len(pending) == 2
    released, suppressed, pending = run_stepwise(pending_items(2, 0, 10), [3000])
    assert [r["record_id"] for r in suppressed] == ["r0"]  # 3000 ms old at the window's end
    assert [p.record["record_id"] for p in pending] == ["r1"] and pending[0].due_ms == 4000
    assert released == []
