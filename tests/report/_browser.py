"""Headless Chromium driven over the DevTools protocol on a pipe (no websocket library needed).

Chromium started with `--remote-debugging-pipe` reads JSON commands, each ended by a NUL byte,
from file descriptor 3 and writes replies and events to descriptor 4.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Browser", "PageReport", "find_chromium", "inspect_layout", "inspect_report"]

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

# Runs in the page: each chart's drawn shapes, each section's box, and horizontal overflow.
PROBE = """
JSON.stringify({
  charts: [...document.querySelectorAll('svg.chart')].map(svg => ({
    name: svg.dataset.chart,
    shapes: [...svg.querySelectorAll('rect, path, line, circle, polyline')].filter(el => {
      const box = el.getBBox(); return box.width > 0 || box.height > 0;
    }).length,
    width: svg.getBoundingClientRect().width,
  })),
  sections: [...document.querySelectorAll('section[data-section]')].map(s => {
    const r = s.getBoundingClientRect();
    return {name: s.dataset.section, x: r.left + scrollX, y: r.top + scrollY,
            width: r.width, height: r.height};
  }),
  downloads: [...document.querySelectorAll('a.download')].map(a => a.href.slice(0, 30)),
  overflow: document.documentElement.scrollWidth - window.innerWidth,
})
"""

# Runs in the page: what spills sideways, which chart texts collide or leave their chart, and
# which tables neither fit nor scroll inside their own box.
LAYOUT = """
(() => {
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5 &&
    a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const meet = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const overlaps = [], clipped = [], tables = [];
  let texts = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll('text')]
      .map(t => [t.textContent, t.getBoundingClientRect()]);
    texts += boxes.length;
    boxes.forEach(([text, r], i) => {
      if (!inside(r, box)) clipped.push(svg.dataset.chart + ': ' + text);
      boxes.slice(i + 1).forEach(([other, q]) => {
        if (meet(r, q)) overlaps.push(svg.dataset.chart + ': ' + text + ' / ' + other);
      });
    });
  }
  const page = document.documentElement.clientWidth;
  for (const table of document.querySelectorAll('table')) {
    const wrapper = table.parentElement, w = wrapper.getBoundingClientRect();
    const fits = table.getBoundingClientRect().right <= w.right + 0.5;
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(wrapper).overflowX);
    if (w.right > page + 0.5 || !(fits || scrolls))
      tables.push(table.querySelector('th') ? table.querySelector('th').textContent : '?');
  }
  return JSON.stringify({scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth, texts, overlaps, clipped, tables});
})()
"""


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    """What the browser saw: chart shapes, sections, requests, console errors, screenshots."""

    charts: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    phone_overflow: float = 0.0
    screenshots: dict[str, Path] = field(default_factory=dict)
    pdf_bytes: int = 0


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError):
            self.send("Browser.close", session=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_child)
        os.close(self._from_child)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise OSError("chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = True
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def open_page(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def viewport(self, width: int, height: int, *, mobile: bool) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def load(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(str(result["exceptionDetails"]))
        return result["result"]["value"]

    def screenshot(self, clip: dict[str, float], path: Path, scale: float) -> None:
        shot = self.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": {**clip, "scale": scale}},
        )
        path.write_bytes(base64.b64decode(shot["data"]))


def inspect_report(
    executable: str, html: Path, profile: Path, shots: Path, *, scale: float = 0.6
) -> PageReport:
    """Open `html` on a laptop-sized and a phone-sized screen; record what happened."""
    report = PageReport()
    url = html.resolve().as_uri()
    browser = Browser(executable, profile)
    try:
        browser.open_page()
        browser.viewport(1200, 900, mobile=False)
        browser.load(url)
        probe = json.loads(browser.evaluate(PROBE))
        report.charts, report.sections = probe["charts"], probe["sections"]
        report.downloads = probe["downloads"]
        shots.mkdir(parents=True, exist_ok=True)
        for section in report.sections:
            path = shots / f"report-{section['name']}.png"
            clip = {k: section[k] for k in ("x", "y", "width", "height")}
            clip["height"] = min(clip["height"], 1600)
            browser.screenshot(clip, path, scale)
            report.screenshots[section["name"]] = path
        pdf = browser.send("Page.printToPDF", {"printBackground": False})
        report.pdf_bytes = len(base64.b64decode(pdf["data"]))
        browser.viewport(390, 844, mobile=True)
        browser.load(url)
        report.phone_overflow = json.loads(browser.evaluate(PROBE))["overflow"]
        browser.send("Runtime.evaluate", {"expression": "1"})
    finally:
        browser.close()
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            report.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            report.errors.append(json.dumps(params["exceptionDetails"])[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            report.errors.append(json.dumps(params.get("args"))[:300])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            report.errors.append(params["entry"].get("text", ""))
    return report


def inspect_layout(executable: str, html: Path, profile: Path, width: int) -> dict[str, Any]:
    """Lay `html` out `width` pixels wide (a phone below 600) and run the `LAYOUT` checks."""
    browser = Browser(executable, profile)
    try:
        browser.open_page()
        browser.viewport(width, 900, mobile=width < 600)
        browser.load(html.resolve().as_uri())
        result: dict[str, Any] = json.loads(browser.evaluate(LAYOUT))
    finally:
        browser.close()
    return result
