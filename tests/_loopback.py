"""Servers the tests run on 127.0.0.1, each in a thread for as long as a block lasts."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def in_thread(server: socketserver.BaseServer) -> Iterator[str]:
    """`server` answering in a thread until the block ends, then closed; its HOST:PORT."""
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
