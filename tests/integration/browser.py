"""Headless Chromium for the tests, driven over the DevTools protocol: the DOM once the page
shows what the test waits for, its console messages, and a screenshot.

Waiting on a condition (not on Chromium's virtual time, which stalls while a request is pending
and so never ends on a page that polls, such as Flink's Web UI) makes a slow machine slower,
not stuck."""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import websocket

TIMEOUT = 90.0  # seconds for Chromium to start and the page to become ready


@dataclass
class Page:
    dom: str
    console: list[str] = field(default_factory=list)  # console messages, exceptions, failed loads


class DevTools:
    """One page of a running Chromium: send commands, collect its console as events arrive."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=TIMEOUT, suppress_origin=True)
        self.ids = itertools.count(1)
        self.console: list[str] = []

    def call(self, method: str, **params: object) -> dict:
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.event(message.get("method", ""), message.get("params", {}))

    def event(self, method: str, params: dict) -> None:
        if method == "Runtime.consoleAPICalled":
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.console.append(f"{params['type']}: {args}")
        elif method == "Runtime.exceptionThrown":
            self.console.append(f"exception: {params['exceptionDetails'].get('text', '')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            self.console.append(f"{params['entry']['level']}: {params['entry']['text']}")

    def dom(self) -> str:
        found = self.call(
            "Runtime.evaluate", expression="document.documentElement.outerHTML", returnByValue=True
        )
        return found["result"].get("value", "")

    def ready_state(self) -> str:
        found = self.call("Runtime.evaluate", expression="document.readyState", returnByValue=True)
        return found["result"].get("value", "")


@contextmanager
def chromium(profile: Path, width: int, height: int):
    """A headless Chromium on a free port; yields its first page's DevTools, stops it after."""
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "DevToolsActivePort").unlink(missing_ok=True)
    args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--remote-debugging-port=0", f"--user-data-dir={profile}",
            f"--window-size={width},{height}", "about:blank"]  # fmt: skip
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        port = wait_for_port(profile / "DevToolsActivePort", process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        tools = DevTools(pages[0]["webSocketDebuggerUrl"])
        try:
            for domain in ("Page", "Runtime", "Log"):
                tools.call(f"{domain}.enable")
            tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                       deviceScaleFactor=1, mobile=False)  # fmt: skip
            yield tools
        finally:
            tools.ws.close()
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_port(path: Path, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode} before it listened")
        lines = path.read_text().splitlines() if path.is_file() else []
        if lines and lines[0].isdigit():
            return int(lines[0])
        time.sleep(0.1)
    raise RuntimeError(f"chromium did not open its DevTools port within {TIMEOUT:.0f} s")


def load(tools: DevTools, url: str, until: Callable[[str], bool] | None) -> str:
    """Navigate, then poll the DOM until the page is loaded and `until(dom)` holds (or time is
    up: the DOM as it is then, for the test's assertions to say what is missing)."""
    tools.call("Page.navigate", url=url)
    deadline = time.monotonic() + TIMEOUT
    dom = ""
    while time.monotonic() < deadline:
        if tools.ready_state() == "complete":
            dom = tools.dom()
            if until is None or until(dom):
                return dom
        time.sleep(0.5)
    return dom or tools.dom()


def open_page(
    url: str, profile: Path, until: Callable[[str], bool] | None = None, width: int = 1400,
    height: int = 900, screenshot: Path | None = None,
) -> Page:  # fmt: skip
    """The page's DOM once `until(dom)` holds, its console messages; with `screenshot`, a PNG of
    the window (width × height) written there too."""
    with chromium(profile, width, height) as tools:
        dom = load(tools, url, until)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            shot = tools.call("Page.captureScreenshot", format="png")
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        tools.call("Runtime.evaluate", expression="0")  # drain the events that arrived last
        return Page(dom, list(tools.console))
