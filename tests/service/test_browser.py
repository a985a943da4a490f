"""Each page in headless Chromium, served by uvicorn on loopback: no console error, no request
beyond the server, no sideways scrolling on a phone, and a filter that works."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from sanctionwatch.service import create_app
from tests.report._browser import Browser, find_chromium

PAGES = ["/", "/findings", "/measures", "/measures/2321-op26b", "/signals", "/ingests", "/screen"]


@pytest.fixture(scope="module")
def server(demo_file: Path) -> Iterator[str]:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listening.getsockname()[1]}"
    running = uvicorn.Server(uvicorn.Config(create_app(str(demo_file)), log_level="warning"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [listening]})
    thread.start()
    try:
        for _ in range(100):
            if running.started:
                break
            threading.Event().wait(0.1)
        # The first reads compute the findings and analyses; a browser then loads in time.
        for page in PAGES:
            urllib.request.urlopen(base + page, timeout=120).read()
        yield base
    finally:
        running.should_exit = True
        thread.join(30)
        listening.close()


@pytest.mark.slow
def test_every_page_loads_alone_and_fits_a_phone(server: str, tmp_path: Path) -> None:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no chromium on the PATH")
    browser = Browser(executable, tmp_path / "profile")
    overflow = {}
    try:
        browser.open_page()
        browser.viewport(390, 844, mobile=True)
        for page in PAGES:
            browser.load(server + page)
            overflow[page] = browser.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
        browser.load(server + "/findings")
        browser.evaluate(
            "document.querySelector('input[name=status]').value = 'breach';"
            "document.querySelector('form.filters').submit(); 1"
        )
        browser.wait_for("Page.loadEventFired")
        statuses = json.loads(
            browser.evaluate(
                "const head = [...document.querySelectorAll('[data-table=findings] th')]"
                ".map(th => th.textContent).indexOf('status');"
                "JSON.stringify([...document.querySelectorAll('[data-table=findings] tbody tr')]"
                ".map(tr => tr.children[head].textContent))"
            )
        )
    finally:
        browser.close()
    requests, errors = [], []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown" or (
            method == "Log.entryAdded" and params["entry"].get("level") == "error"
        ):
            errors.append(json.dumps(params)[:300])
    assert errors == []
    assert requests
    assert all(url.startswith(server + "/") for url in requests)
    assert overflow == dict.fromkeys(PAGES, 0)
    assert statuses == ["breach"] * 3
