from scripts.benchmarks.profile import python_samples


def test_python_samples_count_the_last_frame_of_each_stack(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "<module> (x.py:1);run (/v/lib/python3.11/site-packages/pyflink/a.py:9);hmac (t.py:3) 7\n"
        "<module> (x.py:1);scan (c.py:5) 3\n"
        "<module> (x.py:1);other (d.py:2);hmac (t.py:3) 2\n"
        "garbage line\n"
    )
    found = python_samples(raw)
    assert found["hmac (t.py:3)"] == 9 and found["scan (c.py:5)"] == 3
    assert sum(found.values()) == 12
