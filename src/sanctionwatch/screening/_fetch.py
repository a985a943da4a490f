"""Download the official lists and load them, asking the server first whether they changed.

Each download's ETag and Last-Modified are kept in the store by source and URL; the next
download sends them back (If-None-Match, If-Modified-Since), and a server whose list has not
changed answers 304 with no body: nothing is downloaded or loaded.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import tempfile
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyarrow as pa

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.screening._defaults import LIST_SOURCES
from sanctionwatch.screening._lists import LoadReport, load_list
from sanctionwatch.screening._ofac import looks_like_ofac_csv
from sanctionwatch.store import LIST_DOWNLOADS, Store

if TYPE_CHECKING:
    import httpx

__all__ = ["LIST_URLS", "ListFetch", "fetch_list", "refresh_lists"]

# Where each source publishes its list: the UN Security Council Consolidated List (XML) and
# OFAC's SDN list (CSV) from its Sanctions List Service.
LIST_URLS: dict[str, str] = {
    "un": "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
    "ofac": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV",
}
# The file name a download is read under when its URL names none.
_FILE_NAMES = {"un": "consolidated.xml", "ofac": "SDN.CSV"}
_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class ListFetch:
    """What one download did: `unchanged` when the server said the list had not changed
    (nothing loaded), else the load's report."""

    source: str
    url: str
    unchanged: bool
    loaded: LoadReport | None = None


def fetch_list(
    store: Store,
    source: str,
    *,
    url: str | None = None,
    client: httpx.Client | None = None,
) -> ListFetch:
    """Download `source`'s list (`un` or `ofac`) from `url` (default its official address),
    unless the server says it has not changed since the last download, and load it as
    `load_list` does. An OFAC CSV carries no date: its publication date is the day the server
    says it was last modified, else today."""
    if source not in LIST_SOURCES:
        raise SanctionwatchError(
            f"unknown list {source!r} (expected one of {', '.join(LIST_SOURCES)})"
        )
    store.require_writable("load a list")
    address = url or LIST_URLS[source]
    earlier = store.list_download(source, address)
    headers = {}
    if earlier is not None:
        if earlier["etag"]:
            headers["If-None-Match"] = earlier["etag"]
        if earlier["last_modified"]:
            headers["If-Modified-Since"] = earlier["last_modified"]
    # httpx is imported when a list is downloaded, not by every command that starts.
    import httpx

    own = client is None
    http = client or httpx.Client(timeout=_TIMEOUT_SECONDS, follow_redirects=True)
    try:
        with tempfile.TemporaryDirectory(prefix="sanctionwatch-list-") as folder:
            path = Path(folder) / (Path(urlsplit(address).path).name or _FILE_NAMES[source])
            response = _download(http, address, headers, path)
            if response.status_code == HTTPStatus.NOT_MODIFIED:
                return ListFetch(source, address, unchanged=True)
            with path.open("rb") as handle:
                is_ofac = looks_like_ofac_csv(handle.read(4096))
            if is_ofac != (source == "ofac"):
                raise SanctionwatchError(
                    f"{address}: expected the {source} list, got another file; nothing was loaded"
                )
            modified = response.headers.get("Last-Modified")
            loaded = load_list(store, path, published=_published(source, modified))
    finally:
        if own:
            http.close()
    store.record_list_download(
        pa.Table.from_pylist(
            [
                {
                    "source": source,
                    "url": address,
                    "etag": response.headers.get("ETag"),
                    "last_modified": modified,
                    "version": loaded.version,
                    "fetched_at": dt.datetime.now(dt.UTC),
                }
            ],
            schema=LIST_DOWNLOADS,
        )
    )
    return ListFetch(source, address, unchanged=False, loaded=loaded)


def refresh_lists(store: Store, *, client: httpx.Client | None = None) -> list[ListFetch]:
    """Download again every list the store was loaded from by `fetch_list`, each from the
    address it came from, loading those that changed."""
    downloads = store.list_downloads().select(["source", "url"]).to_pylist()
    return [fetch_list(store, row["source"], url=row["url"], client=client) for row in downloads]


def _download(http: httpx.Client, url: str, headers: dict[str, str], path: Path) -> httpx.Response:
    """The server's answer, its body (on 200) written to `path`; any other answer, or none,
    is one error naming the URL."""
    import httpx

    try:
        with http.stream("GET", url, headers=headers) as response:
            if response.status_code == HTTPStatus.NOT_MODIFIED:
                return response
            if response.status_code != HTTPStatus.OK:
                raise SanctionwatchError(
                    f"{url}: the server answered {response.status_code} "
                    f"{response.reason_phrase}; nothing was loaded"
                )
            with path.open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
            return response
    except httpx.HTTPError as error:
        raise SanctionwatchError(
            f"{url}: download failed ({type(error).__name__}: {error}); nothing was loaded"
        ) from error


def _published(source: str, last_modified: str | None) -> dt.date | None:
    """The publication date of an OFAC download: its Last-Modified day, else today. The UN
    list dates itself."""
    if source != "ofac":
        return None
    if last_modified:
        try:
            return email.utils.parsedate_to_datetime(last_modified).date()
        except (TypeError, ValueError):
            pass
    return dt.datetime.now(dt.UTC).date()
