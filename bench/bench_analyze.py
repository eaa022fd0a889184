"""`switchboard analyze` end to end on ~200k agent event records, beside DuckDB and orjson peers.

The data: `run_script` on bench_run's generated script (150 voice agents, 50 chat agents, a call
every 0.5 s, a chat every 2 s; 36,000 calls give 198,810 agent events and 45,000 contact records,
713 MB of JSON Lines). Figures, all from this run (medians of several repeats, the contenders
interleaved so that a busy spell of the shared machine hits them alike):

* `analyze` in process (`analytics.analyze.analyze`): read both files, decode, deduplicate,
  compute the historical metrics (15-minute intervals), write acw.csv, status-time.csv,
  agent-activity.csv, metrics.json and report.html; with its read / compute / write split;
* peer: a plain-Python orjson loop: read each file, split it into lines, `orjson.loads` each line
  and discard the dict;
* peer: DuckDB's raw scan of the same files, `read_json(file, format='newline_delimited')`:
  `SELECT count(*)` (parses every record; the goal's peer) and `CREATE TABLE AS SELECT *`
  (every column materialised), with DuckDB's default threads and with one thread;
* once, `switchboard analyze` as a user runs it (a subprocess), with its peak memory;
* a cProfile of one `analyze` run: the top functions by own time.

    .venv/bin/python bench/bench_analyze.py [--quick] [--calls N] [--repeats R] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from bench_run import generate, machine
from switchboard.analytics.analyze import analyze
from switchboard.sim.script import parse_script, run_script_to_dir

ROOT = Path(__file__).resolve().parent.parent
FILES = ("agent-events.jsonl", "contact-records.jsonl")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_data(calls: int, folder: Path) -> tuple[int, int, int]:
    """Write the two files; return (agent events, contact records, bytes)."""
    _, result = run_script_to_dir(parse_script(generate(calls)), folder)
    size = sum((folder / name).stat().st_size for name in FILES)
    return result.agent_events, result.contact_records, size


def orjson_loop(folder: Path) -> int:
    count = 0
    loads = orjson.loads
    for name in FILES:
        for line in (folder / name).read_bytes().split(b"\n"):
            if line:
                loads(line)
                count += 1
    return count


def duckdb_scan(folder: Path, *, materialise: bool, threads: int | None) -> int:
    import duckdb  # noqa: PLC0415 - a benchmark peer, imported only when measured

    con = duckdb.connect()
    if threads is not None:
        con.execute(f"SET threads = {threads}")
    count = 0
    for name in FILES:
        source = f"read_json('{folder / name}', format='newline_delimited')"
        if materialise:
            con.execute(f"CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM {source}")
            row = con.execute("SELECT count(*) FROM t").fetchone()
        else:
            row = con.execute(f"SELECT count(*) FROM {source}").fetchone()
        assert row is not None
        count += int(row[0])
    con.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,000 calls, 3 repeats")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    calls = args.calls or (6_000 if args.quick else 36_000)
    repeats = args.repeats or 3

    print(f"machine: {machine()}")
    print(f"load average at start: {load()}")
    try:
        import duckdb  # noqa: PLC0415 - optional peer

        duck_version = duckdb.__version__
    except ImportError:
        duck_version = None
    print(f"orjson {orjson.__version__}; duckdb {duck_version or 'not installed'}")

    with tempfile.TemporaryDirectory(prefix="bench-analyze-") as tmp:
        data = Path(tmp) / "export"
        started = time.perf_counter()
        aes, ctr, size = make_data(calls, data)
        records = aes + ctr
        print(
            f"data: {calls:,} calls -> {aes:,} agent events + {ctr:,} contact records, "
            f"{size / 1e6:,.1f} MB of JSON Lines (made in {time.perf_counter() - started:.1f} s)"
        )

        contenders: dict[str, Callable[[], int]] = {}
        splits: list[dict[str, float]] = []

        def ours() -> int:
            result = analyze([data], Path(tmp) / "out")
            splits.append(result.seconds)
            return result.export.records

        contenders["analyze (in process, end to end)"] = ours
        contenders["peer: orjson loop (read, split, loads)"] = lambda: orjson_loop(data)
        if duck_version is not None:
            contenders["peer: duckdb read_json count(*)"] = lambda: duckdb_scan(
                data, materialise=False, threads=None
            )
            contenders["peer: duckdb read_json count(*), 1 thread"] = lambda: duckdb_scan(
                data, materialise=False, threads=1
            )
            contenders["peer: duckdb CREATE TABLE AS SELECT *"] = lambda: duckdb_scan(
                data, materialise=True, threads=None
            )
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(repeats):
            for name, run in contenders.items():
                started = time.perf_counter()
                counted = run()
                times[name].append(time.perf_counter() - started)
                assert counted == records, (name, counted, records)

        goal_peer = "peer: duckdb read_json count(*)"
        peer_s = statistics.median(times[goal_peer]) if goal_peer in times else None
        print()
        print(f"{'what':<46} {'s':>7} {'records/s':>11} {'MB/s':>7} {'vs duckdb':>9}")
        for name, seconds in times.items():
            median = statistics.median(seconds)
            ratio = f"{peer_s / median:8.2f}x" if peer_s else ""
            print(
                f"{name:<46} {median:7.2f} {records / median:11,.0f} "
                f"{size / 1e6 / median:7.1f} {ratio:>9}"
            )
        print()
        for step in ("read", "compute", "write"):
            median = statistics.median(s.get(step, 0.0) for s in splits)
            print(f"  analyze {step:<8} {median:7.2f} s  ({records / median:,.0f} records/s)")
        print(
            "every repeat (s): "
            + "; ".join(
                f"{name.split(':')[-1].strip()}: {', '.join(f'{t:.2f}' for t in ts)}"
                for name, ts in times.items()
            )
        )

        started = time.perf_counter()
        completed = subprocess.run(
            [
                str(Path(sys.executable).parent / "switchboard"),
                "analyze",
                str(data),
                "--out",
                str(Path(tmp) / "cli-out"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        cli_s = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"\nswitchboard analyze (subprocess): {cli_s:.2f} s, {records / cli_s:,.0f} records/s, "
            f"peak memory {peak:,.0f} MB (input {size / 1e6:,.0f} MB)"
        )
        print("  " + completed.stdout.strip().replace("\n", "\n  "))

        if peer_s is not None:
            ours_s = statistics.median(times["analyze (in process, end to end)"])
            verdict = "MET" if ours_s <= peer_s else "NOT MET"
            print(
                f"\ngoal: analyze end to end >= DuckDB's raw read_json scan of the same files: "
                f"{verdict} ({records / ours_s:,.0f} vs {records / peer_s:,.0f} records/s, "
                f"{peer_s / ours_s:.2f}x)"
            )

        if not args.no_profile:
            profile = cProfile.Profile()
            profile.enable()
            analyze([data], Path(tmp) / "profiled")
            profile.disable()
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(15)
            print("\ncProfile of one analyze run, top 15 by own time:")
            print("\n".join(text.getvalue().splitlines()[4:]))
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
