"""Servers on 127.0.0.1 only: lists served with ETag and Last-Modified, a webhook receiver,
and a small SMTP server; each runs in a thread for one test."""

from __future__ import annotations

import hashlib
import socketserver
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from tests._loopback import in_thread


@dataclass
class Served:
    """What the server holds (path -> bytes, Last-Modified) and what it was asked."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], int]] = field(default_factory=list)
    posted: list[bytes] = field(default_factory=list)
    url: str = ""


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = served.files.get(self.path)
            if found is None:
                self._answer(404)
                return
            body, modified = found
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._answer(304)
                return
            self._answer(200, body, {"ETag": etag, "Last-Modified": modified})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            served.posted.append(self.rfile.read(length))
            self._answer(204)

        def _answer(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            served.requests.append((self.path, dict(self.headers), status))
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def http_server() -> Iterator[Served]:
    served = Served()
    with in_thread(HTTPServer(("127.0.0.1", 0), _handler(served))) as address:
        served.url = f"http://{address}"
        yield served


@dataclass
class Mailbox:
    messages: list[bytes] = field(default_factory=list)
    address: str = ""


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Enough SMTP for smtplib: greeting, EHLO/HELO, MAIL, RCPT, DATA, QUIT."""

    mailbox: Mailbox

    def handle(self) -> None:
        self._say(b"220 localhost test SMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                self._say(b"250 localhost")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self._say(b"250 OK")
            elif verb == b"DATA":
                self._say(b"354 end with .")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(data)
                self.mailbox.messages.append(b"".join(lines))
                self._say(b"250 queued")
            elif verb == b"QUIT":
                self._say(b"221 bye")
                return
            else:
                self._say(b"502 not here")

    def _say(self, text: bytes) -> None:
        self.wfile.write(text + b"\r\n")
        self.wfile.flush()


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    handler = type("Handler", (_SMTPHandler,), {"mailbox": mailbox})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with in_thread(server) as address:
        mailbox.address = address
        yield mailbox
