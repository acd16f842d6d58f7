"""Headless Chromium for the tests: the DOM after the page ran, its console messages, and a
screenshot."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Page:
    dom: str
    console: list[str]  # the page's console messages (errors, failed loads, uncaught exceptions)


def flags(profile: Path, width: int = 1400, height: int = 900) -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--timeout=30000",
            f"--window-size={width},{height}"]  # fmt: skip


def open_page(url: str, profile: Path) -> Page:
    done = subprocess.run(
        ["chromium", *flags(profile), "--enable-logging=stderr", "--v=0", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    console = re.findall(r":CONSOLE[^\]]*\] (.*)", done.stderr)
    return Page(done.stdout, console)


def screenshot(url: str, path: Path, profile: Path, height: int = 900) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["chromium", *flags(profile, height=height), f"--screenshot={path}", url],
        capture_output=True, timeout=120,
    )  # fmt: skip
    return path
