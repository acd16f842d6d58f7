from datetime import date

from tools.report import charts


def test_stacked_days_draws_a_bar_per_day_and_key_and_names_them():
    rows = [(date(2026, 1, d), reg, d * 10) for d in range(1, 31) for reg in ("HIPAA", "GDPR")]
    svg = charts.stacked_days("t", rows, ("HIPAA", "GDPR"))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert ">HIPAA<" in svg and ">GDPR<" in svg  # text kept as text
    assert svg.count('id="t-patch_') >= 60  # 60 bars (+ the legend's swatches)
    assert "Jan 01" in svg


def test_charts_take_one_row_and_long_labels():
    # One run with reasons longer than the axis: margins must not collapse.
    reason = "invalid created_at: not an ISO-8601 timestamp (and more words than fit)"
    assert "<svg" in charts.stacked_runs(
        "q", ["01-01 02:00 healthcare abcdef12"], {reason: [3]}, "records"
    )
    assert "<svg" in charts.ranking("r", [("hipaa.identifier_in_clear", 1)])
    assert "<svg" in charts.run_series("s", ["run"], [None], [None], "records/s", "loss")


def test_ids_carry_the_chart_name():
    svg = charts.ranking("top-rules", [("a", 2), ("b", 1)])
    assert 'id="top-rules-' in svg and 'id="p' not in svg
