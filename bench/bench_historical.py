"""Historical metrics (`analytics.historical.compute`) on 200k agent event records, with peers.

The records are the first N lines of `agent-events.jsonl` written by `run_script` on bench_run's
generated script (150 voice agents, 50 chat agents, a call every 0.5 s, a chat every 2 s), with
that run's contact records. Figures, all from this run (medians of several repeats), in AES
records per second:

* peer: a plain `orjson.loads` loop over the file's lines (in memory), discarding each dict,
  and the same keeping every dict (as a reader that decodes later would);
* `decode_agent_event_line` over the same lines (orjson + our decoder);
* `compute` over the decoded records (15-minute intervals, UTC and America/New_York);
* end to end: read both files, decode, compute;
* peer, if duckdb is installed: DuckDB `read_json` of the same file, `count(*)` and a status-time
  query (time per agent and status name, the last snapshot carried forward, as `compute` counts
  it), with DuckDB's default threads and with one thread. The status-time totals are compared
  with `compute`'s, so the peer is known to do the same work.

    .venv/bin/python bench/bench_historical.py [--records N] [--repeats R]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from switchboard.analytics.historical import compute
from switchboard.formats.aes import decode_agent_event_line
from switchboard.formats.ctr import decode_contact_record_line
from switchboard.sim.script import parse_script, run_script

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_run import generate, machine  # a sibling script, found through sys.path

AES_PER_CALL = 5.6  # measured on the generated script: sizes the run to reach --records


def write_inputs(records: int, folder: Path) -> tuple[Path, Path]:
    calls = int(records / AES_PER_CALL) + 2_000
    script = parse_script(generate(calls))
    aes_all, ctr_path = folder / "all-events.jsonl", folder / "contact-records.jsonl"
    with aes_all.open("wb") as aes_file, ctr_path.open("wb") as ctr_file:
        run_script(script, agent_events=aes_file, contact_records=ctr_file)
    lines = aes_all.read_bytes().splitlines(keepends=True)
    if len(lines) < records:
        raise SystemExit(f"the run wrote {len(lines)} AES records, fewer than {records}")
    aes_path = folder / "agent-events.jsonl"
    aes_path.write_bytes(b"".join(lines[:records]))
    aes_all.unlink()
    return aes_path, ctr_path


def timed(repeats: int, work: Callable[[], Any]) -> tuple[float, list[float], Any]:
    seconds: list[float] = []
    result: Any = None
    for _ in range(repeats):
        result = None  # the last repeat's objects must not be alive (and GC-scanned) in this one
        gc.collect()
        start = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), seconds, result


STATUS_TIME_SQL = """
WITH raw AS (
    SELECT AgentARN AS agent,
           CAST(EventTimestamp AS TIMESTAMP) AS ts,
           CurrentAgentSnapshot.AgentStatus.Name AS status,
           row_number() OVER () AS line
    FROM read_json('{path}', format = 'newline_delimited')
), carried AS (
    SELECT agent, ts,
           last_value(status IGNORE NULLS) OVER (PARTITION BY agent ORDER BY ts, line
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS status,
           lead(ts) OVER (PARTITION BY agent ORDER BY ts, line) AS next_ts
    FROM raw
)
SELECT agent, status, sum(epoch_ms(next_ts) - epoch_ms(ts)) AS ms
FROM carried WHERE status IS NOT NULL AND next_ts IS NOT NULL
GROUP BY agent, status
"""


def duckdb_peer(path: Path, repeats: int, ours: dict[tuple[str, str], int]) -> list[str]:
    try:
        import duckdb  # noqa: PLC0415 - optional peer
    except ImportError:
        return ["  duckdb: not installed (pip install duckdb) - peer skipped"]
    out = []
    for threads in (None, 1):
        con = duckdb.connect()
        if threads is not None:
            con.execute(f"SET threads = {threads}")
        used = con.execute("SELECT current_setting('threads')").fetchone()
        label = f"threads={used[0] if used else '?'}"
        count_sql = f"SELECT count(*) FROM read_json('{path}', format = 'newline_delimited')"
        med, _, rows = timed(repeats, lambda c=con, q=count_sql: c.execute(q).fetchone())
        n = rows[0]
        out.append(f"  {'duckdb read_json count(*) ' + label:<48} {med:8.3f} s {n / med:>12,.0f}/s")
        sql = STATUS_TIME_SQL.format(path=path)
        med, _, result = timed(repeats, lambda c=con, q=sql: c.execute(q).fetchall())
        out.append(f"  {'duckdb status-time query ' + label:<48} {med:8.3f} s {n / med:>12,.0f}/s")
        theirs = {(a, s): int(ms) for a, s, ms in result}
        agree = "agree" if theirs == ours else f"DIFFER ({len(theirs)} vs {len(ours)} rows)"
        out.append(f"    status-time totals vs compute: {agree}")
        con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("bench_historical: historical metrics over agent event stream records")
    print(f"machine: {machine()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        aes_path, ctr_path = write_inputs(args.records, folder)
        print(f"  inputs written in {time.perf_counter() - t0:.1f} s (not timed below)")
        lines = aes_path.read_bytes().splitlines()
        ctr_lines = ctr_path.read_bytes().splitlines()
        n = len(lines)
        size = aes_path.stat().st_size
        print(
            f"  {n:,} AES records ({size / 1e6:.1f} MB, {size / n:,.0f} B each), "
            f"{len(ctr_lines):,} contact records; {args.repeats} repeats, medians"
        )
        rows: list[tuple[str, float]] = []

        def parse_only() -> None:
            loads = orjson.loads
            for line in lines:
                loads(line)

        med, _, _ = timed(args.repeats, parse_only)
        rows.append(("peer: orjson.loads loop (parse only)", med))
        med, _, _ = timed(args.repeats, lambda: [orjson.loads(line) for line in lines])
        rows.append(("peer: orjson.loads, all dicts kept", med))

        def end_to_end() -> Any:
            aes = [decode_agent_event_line(x) for x in aes_path.read_bytes().splitlines()]
            ctr = [decode_contact_record_line(x) for x in ctr_path.read_bytes().splitlines()]
            return compute(aes, ctr)

        # first, while nothing else big is alive
        med, _, _ = timed(args.repeats, end_to_end)
        rows.append(("end to end: read + decode + compute", med))
        med, _, decoded = timed(
            args.repeats, lambda: [decode_agent_event_line(line) for line in lines]
        )
        rows.append(("decode_agent_event_line", med))
        decoded_ctr = [decode_contact_record_line(line) for line in ctr_lines]
        med, _, result = timed(args.repeats, lambda: compute(decoded, decoded_ctr))
        rows.append(("compute (15min, UTC), decoded input", med))
        med, _, _ = timed(
            args.repeats,
            lambda: compute(decoded, decoded_ctr, time_zone="America/New_York"),
        )
        rows.append(("compute (15min, America/New_York)", med))

        print(f"  {'what':<48} {'median':>10} {'AES rec/s':>14}")
        for what, seconds in rows:
            print(f"  {what:<48} {seconds:8.3f} s {n / seconds:>12,.0f}/s")
        ours: dict[tuple[str, str], int] = {}
        for interval in result.intervals.values():
            for arn, agent in interval.agents.items():
                for status, ms in agent.activity.status_ms.items():
                    ours[arn, status] = ours.get((arn, status), 0) + ms
        for line in duckdb_peer(aes_path, args.repeats, ours):
            print(line)
        print(
            f"  result: {len(result.intervals)} intervals, {len(result.usernames)} agents, "
            f"{len(result.acw)} ACW rows, {result.contact_records_used:,} contact records"
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
