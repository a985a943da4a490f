"""B9: the web service under load on loopback, against the same queries called in process.

A store holds the demo's trade and findings and the real UN and OFAC lists from
../shared/data (the /match part is skipped, naming the file, when one is missing). uvicorn
serves it on 127.0.0.1 at a free port in a child process; 8 client threads send yente-style
`/match/default` requests (one query each: listed names, their variants, and names on no
list), then findings requests, each phase bounded in count and time. The baseline is the same
queries answered in this process without HTTP. Throughput per core is requests per second of
the server's CPU time, beside yente's published figure of about 15 requests per second per
vCPU (docs/BENCHMARKS.md).

    python benchmarks/b9_service.py [--requests 400] [--seconds 60] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _common import BENCH_DIR, machine

from sanctionwatch import Store
from sanctionwatch._demo import run_demo
from sanctionwatch.screening import load_list, select_lists
from sanctionwatch.service import create_app

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LISTS = ("un_consolidated_list_2020-03-20.xml", "ofac_sdn_2024-05-03.csv")
TARGET_P95_MS = 50.0
YENTE_PER_VCPU = 15.0
FINDINGS_PATH = "/api/findings?limit=50"


def build_store() -> tuple[Path, list[str]]:
    """The demo store with the real lists loaded; the names of list files missing."""
    folder = BENCH_DIR / "b9"
    store = folder / "sanctionwatch.duckdb"
    missing = [name for name in LISTS if not (SHARED / name).is_file()]
    if not store.is_file():
        run_demo(folder)
    with Store.open(store) as opened:
        for name in LISTS:
            if name not in missing:
                load_list(opened, SHARED / name)
    return store, missing


def queries(store: Path, count: int) -> list[dict[str, Any]]:
    """yente-style bodies: listed names as listed, as re-spelt, and names on no list."""
    with Store.open(store, read_only=True) as opened:
        entries = [entry for listed in select_lists(opened) for entry in listed.entries]
    bodies: list[dict[str, Any]] = []
    strangers = ["John Doe", "Brilliant Amazing Limited", "Maria Garcia Lopez", "Ocean Star"]
    for number, entry in enumerate(entries[: count * 2 : 2]):
        name = entry.name if number % 3 else entry.name.lower().replace("-", " ")
        if number % 5 == 4:
            name = strangers[number % len(strangers)]
        properties: dict[str, list[str]] = {"name": [name]}
        if entry.birth_dates:
            properties["birthDate"] = [entry.birth_dates[0]]
        if entry.imo_numbers and number % 2:
            properties["imoNumber"] = [entry.imo_numbers[0]]
        bodies.append({"queries": {"q": {"schema": entry.schema, "properties": properties}}})
    return bodies


def server_app(store: Path) -> Any:
    """The service as `sanctionwatch serve` runs it, read only."""
    return create_app(str(store))


def serve(store: Path, port: int) -> None:
    import uvicorn

    uvicorn.run(server_app(store), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(
    base: str,
    send: Callable[[httpx.Client, int], httpx.Response],
    requests: int,
    seconds: float,
    clients: int,
) -> tuple[list[float], float, int]:
    """Latencies (s) of `requests` sent by `clients` threads, the wall time, the failures."""
    latencies: list[float] = []
    failures = [0]
    taken = iter(range(requests))
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.perf_counter() < deadline:
                with lock:
                    number = next(taken, None)
                if number is None:
                    return
                started = time.perf_counter()
                answer = send(http, number)
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    failures[0] += answer.status_code != 200

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, failures[0]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--serve", nargs=2, metavar=("STORE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return
    store, missing = build_store()
    bodies = queries(store, 200) if not missing else []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(store), str(port)])
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/match/default", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        print(f"B9 the service on loopback vs the same queries in process  ({machine()})")
        print(
            f"workload: {args.clients} clients, at most {args.requests} requests and "
            f"{args.seconds:.0f} s per endpoint; store {store}"
        )
        print("findings endpoint: the service's GET /api/findings")
        results: dict[str, tuple[float, float, float]] = {}
        phases: list[tuple[str, Callable[[httpx.Client, int], httpx.Response]]] = [
            ("findings", lambda http, n: http.get(FINDINGS_PATH)),
        ]
        if bodies:
            phases.insert(
                0,
                (
                    "/match",
                    lambda http, n: http.post("/match/default", json=bodies[n % len(bodies)]),
                ),
            )
        else:
            print("/match skipped: missing " + ", ".join(f"../shared/data/{n}" for n in missing))
        for name, send in phases:
            with httpx.Client(base_url=base, timeout=60) as http:
                for number in range(min(20, len(bodies) or 20)):
                    send(http, number)
            cpu_before = cpu_seconds(server.pid)
            latencies, wall, failures = load(base, send, args.requests, args.seconds, args.clients)
            cpu = cpu_seconds(server.pid) - cpu_before
            per_second = len(latencies) / wall
            per_core = len(latencies) / cpu if cpu > 0 else float("nan")
            results[name] = (p95(latencies), per_second, per_core)
            print(
                f"{name}: {len(latencies)} requests ({failures} not 200) in {wall:.1f} s; "
                f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
                f"p95 {p95(latencies) * 1000:.1f} ms; {per_second:.1f} req/s; "
                f"{per_core:.1f} req per server CPU second (yente ~{YENTE_PER_VCPU:.0f} "
                "req/s per vCPU)"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    baseline_p95 = in_process(store, bodies)
    if "/match" not in results:
        print("ratio (target <= 1.0): skipped (no lists)")
        return
    match_p95 = results["/match"][0] * 1000
    print(
        f"in process (no HTTP, one at a time): /match p95 {baseline_p95 * 1000:.1f} ms; "
        f"over HTTP with {args.clients} clients {match_p95 / (baseline_p95 * 1000):.1f}x that"
    )
    ratio = match_p95 / TARGET_P95_MS
    print(f"/match p95 {match_p95:.1f} ms against the target of {TARGET_P95_MS:.0f} ms")
    print(f"ratio (target <= 1.0): {ratio:.2f}")
    print(f"{ratio:.3f}")


def in_process(store: Path, bodies: list[dict[str, Any]]) -> float:
    """p95 of the same /match bodies answered by the matcher directly, one at a time."""
    from sanctionwatch.service._match import Matcher

    if not bodies:
        return float("nan")
    matcher = Matcher(store)
    for body in bodies[:20]:
        matcher.match("default", body, {})
    latencies = []
    for body in bodies:
        started = time.perf_counter()
        matcher.match("default", body, {})
        latencies.append(time.perf_counter() - started)
    return p95(latencies)


if __name__ == "__main__":
    main()
