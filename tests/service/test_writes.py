"""Writes need the service's token, take a bounded upload, and never name a path of the
client's; reads go on while an ingest runs and see what is committed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sanctionwatch import Store, list_ingests
from sanctionwatch.service import create_app
from sanctionwatch.service._writes import upload_name
from tests.conftest import comtrade_record
from tests.service.conftest import TOKEN

WRITES = ["/api/ingest", "/api/lists"]


def _ingest_count(path: Path) -> int:
    with Store.open(path, read_only=True) as store:
        return list_ingests(store).num_rows


@pytest.mark.parametrize("path", WRITES)
def test_without_a_token_file_every_write_is_refused(demo_copy: Path, path: str) -> None:
    with TestClient(create_app(str(demo_copy))) as client:
        answer = client.post(path, content=b"x", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 403
    assert "--token-file" in answer.json()["error"]
    assert _ingest_count(demo_copy) == 1


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": TOKEN}],
    ids=["no token", "wrong token", "no bearer scheme"],
)
def test_a_write_without_the_right_token_is_refused(
    demo_copy: Path, path: str, headers: dict[str, str]
) -> None:
    with TestClient(create_app(str(demo_copy), TOKEN)) as client:
        answer = client.post(path, content=b"x", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert _ingest_count(demo_copy) == 1


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("declared", [True, False], ids=["length declared", "streamed"])
def test_an_oversized_body_is_refused(demo_copy: Path, path: str, declared: bool) -> None:
    body = b"reporterCode,partnerCode\n" * 100

    def chunks() -> Iterator[bytes]:
        yield body[:1000]
        yield body[1000:]

    with TestClient(create_app(str(demo_copy), TOKEN, upload_limit=1000)) as client:
        answer = client.post(
            path,
            content=body if declared else chunks(),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert answer.status_code == 413
    assert "1000 bytes" in answer.json()["error"]
    assert _ingest_count(demo_copy) == 1


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/tmp/x/.hidden.csv", "hidden.csv"),
        ("..", "upload"),
        ("", "upload"),
        ("data; rm -rf.json", "data_rm_-rf.json"),
    ],
)
def test_an_upload_is_never_named_by_a_path(given: str, kept: str) -> None:
    assert upload_name(given) == kept


def test_an_ingest_with_the_token_is_stored_and_read(
    demo_copy: Path, write_comtrade: Callable[..., Path]
) -> None:
    trade = write_comtrade(comtrade_record(), comtrade_record())
    with TestClient(create_app(str(demo_copy), TOKEN)) as client:
        answer = client.post(
            "/api/ingest",
            params={"filename": "../../../comtrade.json"},
            content=trade.read_bytes(),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert (report["rows_read"], report["rows_accepted"]) == (2, 1)
        assert Path(report["source_file"]).name == "comtrade.json"
        assert Path(report["source_file"]).parent.name.startswith("sanctionwatch-upload-")
        # The upload's folder is gone, and reads see the new ingest.
        assert not Path(report["source_file"]).exists()
        assert client.get("/api/ingests").json()["total"] == 2
        assert client.get("/api/rejects").json()["total"] == 1


def test_reads_answer_while_an_ingest_runs_and_see_the_last_commit(
    demo_copy: Path, write_comtrade: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest is held between its two transactions: its rows are committed but not yet
    listed. Reads then answer with the store as it was, and leave those rows alone."""
    from sanctionwatch.trade import _ingest

    reached, release = threading.Event(), threading.Event()

    def hold(stage: str) -> None:
        if stage == "loaded":
            reached.set()
            assert release.wait(60)

    monkeypatch.setattr(_ingest, "_pause", hold)
    trade = write_comtrade(comtrade_record(), comtrade_record(period="2018"))
    app = create_app(str(demo_copy), TOKEN)
    answers: dict[str, int | dict[str, int]] = {}

    def upload() -> None:
        with TestClient(app) as writer:
            answer = writer.post(
                "/api/ingest",
                content=trade.read_bytes(),
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            answers["status"] = answer.status_code
            answers["report"] = answer.json()

    writing = threading.Thread(target=upload)
    with TestClient(app) as reader:
        before = reader.get("/api/findings", params={"limit": 1}).json()["total"]
        writing.start()
        assert reached.wait(60)
        during = reader.get("/api/ingests").json()
        findings = reader.get("/api/findings", params={"limit": 1})
        page = reader.get("/ingests")
        release.set()
        writing.join(60)
        after = reader.get("/api/ingests").json()
    assert during["total"] == 1
    assert findings.status_code == 200
    assert findings.json()["total"] == before
    assert page.status_code == 200
    assert answers["status"] == 200
    assert answers["report"] == {**answers["report"], "rows_read": 2, "rows_accepted": 2}  # type: ignore[dict-item]
    assert after["total"] == 2
