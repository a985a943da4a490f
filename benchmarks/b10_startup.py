"""B10: the CPU a command costs before it does anything, as a whole process.

Each command runs in a child process; its CPU time (user + system) is read from
`getrusage(RUSAGE_CHILDREN)` around it. The baseline is a bare interpreter, `python -c pass`,
run the same way, so that what is left is what sanctionwatch adds: imports, building the
command line, opening the store. Timed: `sanctionwatch --help`, and `sanctionwatch check` on a
demo store (built once in a temporary folder, not timed). Each figure is the best of
`--repeat` runs; the interpreter's own files are in the OS cache after the first.

Usage: python benchmarks/b10_startup.py [--repeat 5]
The last line printed is the CPU of `--help` above the bare interpreter, in seconds
(target <= 0.3).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import machine


def cpu_of(command: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) of one run of `command` and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(command: list[str], env: dict[str, str], repeat: int) -> float:
    return min(cpu_of(command, env) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tool = [sys.executable, "-m", "sanctionwatch"]
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "SANCTIONWATCH_CACHE": str(Path(scratch) / "cache")}
        subprocess.run(
            [*tool, "demo", "--out", str(Path(scratch) / "demo")],
            check=True,
            capture_output=True,
            env=env,
        )
        store = str(Path(scratch) / "demo" / "sanctionwatch.duckdb")
        bare = best([sys.executable, "-c", "pass"], env, args.repeat)
        helped = best([*tool, "--help"], env, args.repeat)
        checked = best([*tool, "check", "--store", store, "--format", "json"], env, args.repeat)
    print(f"B10 start-up CPU  ({machine()})")
    print(f"python -c pass:                 {bare:.3f} s (best of {args.repeat})")
    print(f"sanctionwatch --help:           {helped:.3f} s ({helped - bare:+.3f} s)")
    print(f"sanctionwatch check (demo):     {checked:.3f} s ({checked - bare:+.3f} s)")
    print(f"CPU above the bare interpreter (target <= 0.3): {helped - bare:.3f}")


if __name__ == "__main__":
    main()
