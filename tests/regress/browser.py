"""Render a page in headless Chromium and report what a reader's browser would show:
a screenshot, console messages, script exceptions and resources that failed to load.

Chromium is driven over its DevTools protocol on a pipe (``--remote-debugging-pipe``:
requests on fd 3, replies on fd 4), so nothing listens on a port and nothing is
downloaded; the page is loaded from its file path like a reader opening an archive.
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def chromium() -> str | None:
    """The Chromium binary (Debian package ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Rendered:
    screenshot: bytes
    console: list[tuple[str, str]] = field(default_factory=list)
    """(type, text) of every console call: log, warning, error..."""
    errors: list[str] = field(default_factory=list)
    """Script exceptions and error-level browser log entries (failed loads included)."""
    failed_loads: list[str] = field(default_factory=list)


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int, proc: subprocess.Popen[bytes]) -> None:
        self.write_fd, self.read_fd, self.proc = write_fd, read_fd, proc
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium closed its pipe (exit {self.proc.poll()})")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.write_fd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._message(deadline))


def render(page: Path, width: int = 1280, height: int = 2000, timeout: float = 60.0) -> Rendered:
    """Load *page* (a file) in headless Chromium; its screenshot and what went wrong."""
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (Debian package 'chromium'; `make setup`)")
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def child_fds() -> None:  # requests on fd 3, replies on fd 4, as --remote-debugging-pipe expects
        a, b = os.dup(to_child_r), os.dup(from_child_w)
        os.dup2(a, 3)
        os.dup2(b, 4)

    with tempfile.TemporaryDirectory(prefix="ldv-chromium-") as profile:
        proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=child_fds)
        os.close(to_child_r)
        os.close(from_child_w)
        pipe = _Pipe(to_child_w, from_child_r, proc)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Network", "Page"):
                pipe.call(f"{domain}.enable", session=session)
            pipe.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
            pipe.call("Page.navigate", {"url": Path(page).resolve().as_uri()}, session=session)
            pipe.wait_for("Page.loadEventFired", timeout=timeout)
            shot = base64.b64decode(pipe.call("Page.captureScreenshot", {"format": "png"}, session=session,
                                              timeout=timeout)["data"])
            try:
                pipe.call("Browser.close", timeout=5)
            except (RuntimeError, TimeoutError):
                pass
        finally:
            os.close(to_child_w)
            os.close(from_child_r)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    out = Rendered(shot)
    for e in pipe.events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            out.console.append((params.get("type", ""), text))
        elif method == "Runtime.exceptionThrown":
            out.errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.errors.append(params["entry"].get("text", ""))
        elif method == "Network.loadingFailed":
            out.failed_loads.append(f"{params.get('errorText')} ({params.get('requestId')})")
    return out
