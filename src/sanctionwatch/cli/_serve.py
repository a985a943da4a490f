"""`sanctionwatch serve`: the store as web pages and a JSON API for a team."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.cli._app import RegimeOption, StoreOption, app, console, open_store
from sanctionwatch.service._limits import DEFAULT_UPLOAD_LIMIT

__all__ = ["read_token", "serve_command"]


def read_token(path: Path) -> str:
    """The token in `path`: its first line, without surrounding spaces; one line on failure."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SanctionwatchError(f"{path}: cannot read the token file: {reason}") from error
    token = text.strip().partition("\n")[0].strip()
    if len(token) < 16:
        raise SanctionwatchError(
            f"{path}: the token file must hold a token of 16 characters or more on its first line"
        )
    return token


@app.command("serve")
def serve_command(
    store: StoreOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")
    ] = 8000,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="File holding the bearer token that uploads and list loading need; "
            "without it the service only reads.",
            show_default=False,
        ),
    ] = None,
    regime: RegimeOption = "un-dprk",
    upload_limit: Annotated[
        int,
        typer.Option("--upload-limit", min=1, help="Largest upload taken, in bytes."),
    ] = DEFAULT_UPLOAD_LIMIT,
) -> None:
    """Serve the store as web pages and a JSON API (read only without --token-file)."""
    import uvicorn

    from sanctionwatch.regime import resolve_regime
    from sanctionwatch.service import create_app
    from sanctionwatch.store import default_store_location

    location = store or default_store_location()
    with open_store(location):
        pass
    token = read_token(token_file) if token_file is not None else None
    application = create_app(
        location, token, regime=resolve_regime(regime), upload_limit=upload_limit
    )
    writes = "writes need the token" if token else "read only"
    console.print(f"serving {location} on http://{host}:{port} ({writes})", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="warning")
