"""End-to-end throughput of `switchboard run` on a large generated script, with its peers.

The script: 150 voice agents (VOICE 1) and 50 chat agents (CHAT 2) in two routing profiles, a call
every 0.5 s and a chat every 2 s for hours of virtual time. Every call is accepted, one in four is
held and resumed, half are ended by the customer and half by the agent, and all are cleared after
ACW; chats are accepted, ended and cleared. Handling times are fixed, so the longest-idle agent is
known in advance (each profile works round-robin) and the script names the agent that must get
each contact: a routing mistake makes the run stop with the action the engine refused.

Figures, all from this run (medians of several repeats):

* run_script writing agent-events.jsonl and contact-records.jsonl (the `switchboard run` path):
  commands/s, AES records/s, contact records/s, MB/s;
* the same run with no writers (engine, routing and projections only);
* peers for the writing: AgentEventEncoder.encode alone over the same AES records collected in
  memory, and plain orjson.dumps(record dict, OPT_SORT_KEYS) of the same snapshots;
* parse_script (dict -> steps), and once, the real CLI in a subprocess on a YAML file, beside
  yaml.safe_load alone and yaml.CSafeLoader alone on that file;
* cProfile of one writing run: top 15 functions by cumulative and by own time.

    .venv/bin/python bench/bench_run.py [--quick] [--calls N] [--repeats R]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import yaml

from switchboard.engine.engine import AgentStreamRecord
from switchboard.formats.aes import AgentEventEncoder
from switchboard.formats.timestamps import iso_ms
from switchboard.sim.script import Script, parse_script, run_script

GOAL_AES_PER_S = 100_000
ROOT = Path(__file__).resolve().parent.parent
VOICE_AGENTS = 150
CHAT_AGENTS = 50
CALL_EVERY_S = 0.5  # 150 agents x 0.5 s = a 75 s cycle > 70 s handling: always someone free
CHAT_EVERY_S = 2.0  # 50 agents x 2 s = a 100 s cycle; a chat lasts 40 s < half of it


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.system()} {platform.machine()}, CPU {cpu}, {os.cpu_count()} cores"
    )


# --- the script ---------------------------------------------------------------------------------


def generate(calls: int) -> dict[str, Any]:
    """A script document (as `switchboard run` reads it from YAML) with `calls` voice calls."""
    voice = [f"voice{i:03d}" for i in range(VOICE_AGENTS)]
    chat = [f"chat{i:03d}" for i in range(CHAT_AGENTS)]
    actions: list[tuple[float, int, dict[str, Any]]] = []
    order = 0

    def add(at: float, **action: Any) -> None:
        nonlocal order
        order += 1
        actions.append((round(at, 3), order, {"at": round(at, 3), **action}))

    for i, name in enumerate(voice + chat):  # distinct idle_since: Available 1 ms apart
        add(i / 1000, do="login", agent=name)
        add(i / 1000, do="set_status", agent=name, status="Available")
    first = 1.0
    for i in range(calls):
        t = first + i * CALL_EVERY_S
        agent, contact = voice[i % VOICE_AGENTS], f"v{i}"
        add(
            t,
            do="inbound",
            contact=contact,
            channel="VOICE",
            queue="Sales",
            customer="+15555550100",
        )
        add(t + 2, do="accept", agent=agent, contact=contact)
        if i % 4 == 0:
            add(t + 20, do="hold", agent=agent, contact=contact)
            add(t + 35, do="resume", agent=agent, contact=contact)
        if i % 2 == 0:
            add(t + 60, do="hangup", contact=contact, by="customer")
        else:
            add(t + 60, do="hangup", contact=contact, by="agent", agent=agent)
        add(t + 70, do="clear", agent=agent, contact=contact)
    span = calls * CALL_EVERY_S
    for i in range(int(span / CHAT_EVERY_S)):
        t = first + 0.25 + i * CHAT_EVERY_S
        agent, contact = chat[i % CHAT_AGENTS], f"ch{i}"
        add(t, do="inbound", contact=contact, channel="CHAT", queue="Support")
        add(t + 3, do="accept", agent=agent, contact=contact)
        add(t + 30, do="hangup", contact=contact, by="customer")
        add(t + 40, do="clear", agent=agent, contact=contact)
    last = first + span + 80
    for name in voice + chat:
        add(last, do="logout", agent=name)
    actions.sort(key=lambda a: (a[0], a[1]))
    return {
        "start": "2026-01-05T09:00:00Z",
        "instance": {"account": "111122223333", "region": "us-east-1", "id": "bench-run"},
        "statuses": [{"name": "Break"}],
        "queues": [
            {"name": "Sales", "channels": ["VOICE"]},
            {"name": "Support", "channels": ["CHAT"]},
        ],
        "routing_profiles": [
            {
                "name": "Voice",
                "concurrency": {"VOICE": 1},
                "queues": [{"queue": "Sales", "channel": "VOICE"}],
            },
            {
                "name": "Chat",
                "concurrency": {"CHAT": 2},
                "queues": [{"queue": "Support", "channel": "CHAT"}],
            },
        ],
        "agents": [
            *({"username": n, "routing_profile": "Voice"} for n in voice),
            *({"username": n, "routing_profile": "Chat"} for n in chat),
        ],
        "script": [a[2] for a in actions],
        "end_s": last + 10,
    }


# --- one run ------------------------------------------------------------------------------------


class Outcome:
    def __init__(self, seconds: float, commands: int, aes: int, ctr: int, size: int) -> None:
        self.seconds = seconds
        self.commands = commands
        self.aes = aes
        self.ctr = ctr
        self.bytes = size


def run_once(script: Script, out: Path | None, *, collect_first: bool = True) -> Outcome:
    """run_script as `switchboard run` does it (files in `out`), or with no writers."""
    if collect_first:
        gc.collect()
    t0 = time.perf_counter()
    if out is None:
        _, result = run_script(script)
        size = 0
    else:
        aes_path, ctr_path = out / "agent-events.jsonl", out / "contact-records.jsonl"
        with aes_path.open("wb") as aes_file, ctr_path.open("wb") as ctr_file:
            _, result = run_script(script, agent_events=aes_file, contact_records=ctr_file)
        size = aes_path.stat().st_size + ctr_path.stat().st_size
    seconds = time.perf_counter() - t0
    return Outcome(seconds, result.commands, result.agent_events, result.contact_records, size)


class NullSink:
    """A file that forgets what it is given: the run's encoding without its file I/O."""

    def write(self, data: bytes) -> int:
        return len(data)


def run_null(script: Script) -> float:
    gc.collect()
    sink = NullSink()
    t0 = time.perf_counter()
    run_script(script, agent_events=sink, contact_records=sink)  # type: ignore[arg-type]
    return time.perf_counter() - t0


def collect(script: Script) -> list[AgentStreamRecord]:
    records: list[AgentStreamRecord] = []
    run_script(script, on_agent_event=records.append)
    return records


def encode_alone(script: Script, records: list[AgentStreamRecord]) -> tuple[float, int]:
    """Seconds to encode every record with a fresh AgentEventEncoder (as the run does)."""
    encoder = AgentEventEncoder(script.setup.settings)
    encode = encoder.encode
    gc.collect()
    t0 = time.perf_counter()
    size = 0
    for record in records:
        size += len(encode(record)) + 1
    return time.perf_counter() - t0, size


def snapshot_encodes(script: Script, records: list[AgentStreamRecord]) -> int:
    """How many snapshots the encoder turns into JSON for these records (untimed).

    The encoder caches one snapshot's bytes per agent so that a record's PreviousAgentSnapshot
    reuses the bytes of the record before; with that reuse working it is about one per record.
    """
    encoder = AgentEventEncoder(script.setup.settings)
    count = 0
    build = encoder.snapshot_dict

    def counting(snapshot: Any) -> dict[str, Any]:
        nonlocal count
        count += 1
        return build(snapshot)

    encoder.snapshot_dict = counting  # type: ignore[method-assign]
    for record in records:
        encoder.encode(record)
    return count


def write_alone(script: Script, records: list[AgentStreamRecord], out: Path) -> tuple[float, int]:
    """Seconds to write the same encoded lines to a file as the run does (one write per record).

    The lines are encoded untimed, a chunk at a time; only open, write and close are timed.
    """
    encoder = AgentEventEncoder(script.setup.settings)
    path = out / "agent-events-alone.jsonl"
    seconds = 0.0
    chunk = 10_000
    t0 = time.perf_counter()
    handle = path.open("wb")
    seconds += time.perf_counter() - t0
    with handle:
        write = handle.write
        for first in range(0, len(records), chunk):
            lines = [encoder.encode(r) for r in records[first : first + chunk]]
            t0 = time.perf_counter()
            for encoded in lines:
                write(encoded + b"\n")
            seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
    seconds += time.perf_counter() - t0
    size = path.stat().st_size
    path.unlink()
    return seconds, size


def dumps_alone(script: Script, records: list[AgentStreamRecord]) -> tuple[float, int]:
    """Seconds for plain orjson.dumps(dict, OPT_SORT_KEYS) of the same records, snapshots and all.

    The dicts are built untimed, a chunk at a time (the bytes are those of the real records but
    for the event id of heartbeats), and only the dumps calls are timed.
    """
    settings = script.setup.settings
    encoder = AgentEventEncoder(settings)
    dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
    seconds = 0.0
    size = 0
    chunk = 10_000
    for first in range(0, len(records), chunk):
        dicts = [
            {
                "AWSAccountId": settings.account,
                "AgentARN": encoder.arns.agent(r.agent_id),
                "CurrentAgentSnapshot": (
                    encoder.snapshot_dict(r.current) if r.current is not None else None
                ),
                "EventId": r.event_id or "00000000-0000-5000-8000-000000000000",
                "EventTimestamp": iso_ms(r.at),
                "EventType": r.event_type.value,
                "InstanceARN": settings.arn,
                "PreviousAgentSnapshot": (
                    encoder.snapshot_dict(r.previous) if r.previous is not None else None
                ),
                "Version": settings.aes_version,
            }
            for r in records[first : first + chunk]
        ]
        gc.collect()
        t0 = time.perf_counter()
        for d in dicts:
            size += len(dumps(d, option=sort)) + 1
        seconds += time.perf_counter() - t0
    return seconds, size


# --- the CLI ------------------------------------------------------------------------------------


def cli_once(doc: dict[str, Any], tmp: Path) -> dict[str, float]:
    """`switchboard run --quiet` once in a subprocess on `doc` written as YAML, with its peers:
    yaml.safe_load alone (what load_script calls), yaml.CSafeLoader alone (libyaml), and the
    in-process parse_script + run_script of the same script."""
    path = tmp / "bench-script.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=200), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    t0 = time.perf_counter()
    yaml.safe_load(text)
    py_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    yaml.load(text, Loader=yaml.CSafeLoader)
    c_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    script = parse_script(doc)
    parsed = time.perf_counter() - t0
    in_process = run_once(script, tmp)
    switchboard = Path(sys.executable).with_name("switchboard")
    argv = [str(switchboard), "run", str(path), "--out", str(tmp / "cli-out"), "--quiet"]
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"switchboard run failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    said = done.stderr.strip().splitlines()[-1]
    print(f"  CLI said: {said}")
    return {
        "wall": wall,
        "yaml_bytes": path.stat().st_size,
        "safe_load": py_load,
        "csafe_load": c_load,
        "parse": parsed,
        "run": in_process.seconds,
        "aes": in_process.aes,
        "commands": in_process.commands,
    }


# --- profile ------------------------------------------------------------------------------------


def profile(script: Script, out: Path, top: int = 15) -> None:
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    run_once(script, out, collect_first=False)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_, calls, own, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename
        for prefix in (str(ROOT / "src") + os.sep, str(ROOT) + os.sep):
            if short.startswith(prefix):
                short = short[len(prefix) :]
                break
        else:
            short = filename if filename.startswith(("<", "~")) else Path(filename).name
        rows.append((f"{short}:{line}({name})", calls, own, cum))
    total = max(r[3] for r in rows)
    for title, key in (("cumulative", 3), ("own (tottime)", 2)):
        print(f"  top {top} by {title} time (profiled run: {total:.2f} s):")
        print(f"    {'ncalls':>9}  {'own s':>7}  {'cum s':>7}  {'cum %':>5}  function")
        ranked = sorted(rows, key=lambda r: r[key], reverse=True)
        if key == 3:  # skip the bench's own frames and the profiler wrapper
            ranked = [r for r in ranked if "bench_run.py" not in r[0]]
        for where, calls, own, cum in ranked[:top]:
            print(f"    {calls:>9}  {own:>7.2f}  {cum:>7.2f}  {cum / total * 100:>5.0f}  {where}")


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="3,000 calls instead of 20,000")
    parser.add_argument("--calls", type=int, help="voice calls in the main script")
    parser.add_argument("--cli-calls", type=int, help="voice calls in the CLI's YAML script")
    parser.add_argument("--repeats", type=int, help="repeats per figure")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI subprocess run")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    args = parser.parse_args()
    calls = args.calls or (3_000 if args.quick else 20_000)
    cli_calls = args.cli_calls or (1_000 if args.quick else 3_000)
    profile_calls = min(calls, 5_000)
    repeats = args.repeats or 5
    med = statistics.median

    print("bench_run: `switchboard run` end to end on a generated script")
    print(f"machine: {machine()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    t0 = time.perf_counter()
    doc = generate(calls)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    script = parse_script(doc)
    parsed = time.perf_counter() - t0
    print(
        f"script: {VOICE_AGENTS + CHAT_AGENTS} agents, {calls:,} calls, "
        f"{int(calls * CALL_EVERY_S / CHAT_EVERY_S):,} chats, {len(doc['script']):,} actions, "
        f"{(script.end - script.start) / 3_600_000:.1f} h of virtual time "
        f"(generated in {generated:.2f} s, parse_script {parsed:.2f} s = "
        f"{len(script.steps) / parsed:,.0f} steps/s); repeats: {repeats}"
    )

    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp_name:
        tmp = Path(tmp_name)
        print("  runs (writing files / null sink / no writers, interleaved) ...", flush=True)
        writing: list[Outcome] = []
        nulls: list[float] = []
        bare: list[Outcome] = []
        for i in range(repeats):
            writing.append(run_once(script, tmp))
            if i < max(3, repeats - 2):
                nulls.append(run_null(script))
            bare.append(run_once(script, None))
        print("  encoding peers ...", flush=True)
        records = collect(script)
        encoded = [encode_alone(script, records) for _ in range(repeats)]
        snapshots = snapshot_encodes(script, records)
        with_snapshot = sum(1 for r in records if r.current is not None)
        dumped = [dumps_alone(script, records) for _ in range(max(3, repeats // 2))]
        written = [write_alone(script, records, tmp) for _ in range(max(3, repeats // 2))]
        del records
        cli = None
        if not args.no_cli:
            print(
                f"  CLI once (subprocess, {cli_calls:,}-call YAML script, --quiet) ...", flush=True
            )
            cli = cli_once(generate(cli_calls), tmp)

        first = writing[0]
        n_aes, n_ctr, n_cmd = first.aes, first.ctr, first.commands
        w = med(o.seconds for o in writing)
        b = med(o.seconds for o in bare)
        null = med(nulls)
        enc = med(e[0] for e in encoded)
        dmp = med(d[0] for d in dumped)
        aes_bytes = encoded[0][1]
        print()
        print(
            f"one run: {n_cmd:,} commands -> {n_aes:,} AES records "
            f"({aes_bytes / n_aes:,.0f} B each), {n_ctr:,} contact records, "
            f"{first.bytes / 1e6:,.1f} MB written"
        )
        header = (
            f"{'what (same records, median)':<46} {'seconds':>8} {'commands/s':>11} "
            f"{'AES rec/s':>10} {'CTR/s':>8} {'MB/s':>7} {'µs/AES':>7}"
        )
        print(header)
        print("-" * len(header))

        def line(what: str, seconds: float, commands: bool, mb: float | None) -> None:
            print(
                f"{what:<46} {seconds:>8.2f} "
                + (f"{n_cmd / seconds:>11,.0f} " if commands else f"{'':>11} ")
                + f"{n_aes / seconds:>10,.0f} "
                + (f"{n_ctr / seconds:>8,.0f} " if commands else f"{'':>8} ")
                + (f"{mb / seconds:>7.1f} " if mb is not None else f"{'':>7} ")
                + f"{seconds / n_aes * 1e6:>7.2f}"
            )

        line("run_script writing both files (= the CLI run)", w, True, first.bytes / 1e6)
        line("run_script encoding into a null sink (no I/O)", null, True, None)
        line("run_script with no writers (engine only)", b, True, None)
        line("  writing share (first minus engine only)", w - b, False, first.bytes / 1e6)
        line("peer: AgentEventEncoder.encode alone", enc, False, aes_bytes / 1e6)
        line("peer: orjson.dumps(dict, OPT_SORT_KEYS) alone", dmp, False, dumped[0][1] / 1e6)
        io_s = med(x[0] for x in written)
        line("peer: writing the encoded AES lines alone", io_s, False, written[0][1] / 1e6)

        def runs(values: list[float]) -> str:
            return ", ".join(f"{v:.2f}" for v in values)

        print(f"  seconds per repeat: writing {runs([o.seconds for o in writing])};")
        print(f"    null sink {runs(nulls)}; no writers {runs([o.seconds for o in bare])};")
        print(f"    encode alone {runs([e[0] for e in encoded])};")
        print(f"    orjson.dumps alone {runs([d[0] for d in dumped])};")
        print(f"    writing alone {runs([x[0] for x in written])}")
        print(
            f"snapshots turned into JSON by the encoder: {snapshots:,} for {with_snapshot:,} "
            f"records with a snapshot ({snapshots / with_snapshot:.2f} per record; the previous "
            "snapshot's bytes are reused only if this is about 1)"
        )
        if cli is not None:
            wall = cli["wall"]
            inside = cli["parse"] + cli["run"]
            print(
                f"CLI `switchboard run --quiet` on {cli['yaml_bytes'] / 1e6:.1f} MB of YAML "
                f"({cli_calls:,} calls, {cli['commands']:,.0f} actions, {cli['aes']:,.0f} AES "
                f"records): {wall:.2f} s wall = {cli['aes'] / wall:,.0f} AES records/s, "
                f"{cli['commands'] / wall:,.0f} commands/s"
            )
            print(
                f"  same script in-process (parse_script + run_script): {inside:.2f} s; "
                f"yaml.safe_load of the file alone {cli['safe_load']:.2f} s "
                f"(yaml.CSafeLoader {cli['csafe_load']:.2f} s, "
                f"{cli['safe_load'] / cli['csafe_load']:.1f}x faster)"
            )
        print()
        figure = n_aes / w
        verdict = "MET" if figure >= GOAL_AES_PER_S else "NOT MET"
        print(
            f"goal: ≥ {GOAL_AES_PER_S // 1000}k AES records/s written — {verdict}: "
            f"{figure:,.0f}/s in-process (engine alone {n_aes / b:,.0f}/s, "
            f"encode alone {n_aes / enc:,.0f}/s, orjson.dumps alone {n_aes / dmp:,.0f}/s)"
        )
        if cli is not None:
            print(f"      through the CLI, YAML included: {cli['aes'] / cli['wall']:,.0f}/s")
        if not args.no_profile:
            print()
            print(f"cProfile of one writing run ({profile_calls:,}-call script):")
            small = script if profile_calls == calls else parse_script(generate(profile_calls))
            profile(small, tmp)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
