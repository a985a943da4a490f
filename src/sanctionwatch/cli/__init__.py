"""Command-line interface: parses, calls the public API, renders. No logic of its own."""

from sanctionwatch.cli import (  # noqa: F401  (commands register)
    _analysis,
    _check,
    _evasion,
    _fetch,
    _hs,
    _regime,
    _report,
    _runs,
    _screening,
    _serve,
    _synth,
    _trade,
)
from sanctionwatch.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
