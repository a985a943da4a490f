"""The demo: published figures of trade with the DPRK, checked against the UN regime."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._output import write_atomic
from sanctionwatch.engine import Findings, check
from sanctionwatch.regime import resolve_regime
from sanctionwatch.report import write_report
from sanctionwatch.store import Store
from sanctionwatch.trade import IngestReport, ingest

__all__ = ["DemoResult", "demo_data", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    store: Path
    ingest: IngestReport
    findings: Findings
    findings_json: Path
    findings_csv: Path
    report: Path


def demo_data() -> Path:
    """The bundled file: Comtrade-shaped records, each naming the publication it comes from."""
    return Path(str(resources.files(__package__).joinpath("published_figures.json")))


def run_demo(out_dir: str | Path = "demo") -> DemoResult:
    """Ingest the bundled figures into a fresh store in `out_dir`, check, write the findings
    and the HTML report."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SanctionwatchError(f"{out}: cannot make this folder: {error.strerror}") from error
    store_path = out / "sanctionwatch.duckdb"
    for stale in (store_path, store_path.with_name(store_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    with Store.open(store_path) as store:
        report = ingest(store, demo_data())
        regime = resolve_regime("un-dprk")
        findings = check(store, regime)
        report_path = write_report(store, regime, out / "report.html")
    json_path = out / "findings.json"
    csv_path = out / "findings.csv"
    write_atomic(json_path, findings.to_json() + "\n")
    write_atomic(csv_path, findings.to_csv())
    return DemoResult(store_path, report, findings, json_path, csv_path, report_path)
