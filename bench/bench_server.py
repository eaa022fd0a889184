"""The durable server: PutUserStatus over HTTP, group commit through `Server.flush`, restart time.

Three parts, each printed beside a peer measured in the same run (medians; no timing asserts):

1. **HTTP** (`--part http`): PutUserStatus through the real app (`build_app` over a `Server` on a
   temporary SQLite database, uvicorn with uvloop + httptools, one worker, in a subprocess) with
   N concurrent keep-alive clients, each toggling its own agent Break <-> Available (every
   request is a real status change, durable before its answer). Peer: a bare Starlette endpoint
   answering `{}` to the same PUT, same uvicorn settings, same client. Requests are signed once
   by botocore's SigV4Auth and replayed (the server verifies every signature). The client is a
   lean keep-alive HTTP/1.1 client on asyncio streams (uvloop) in this process, so that the
   client is not the bottleneck (`--client httpx` uses httpx.AsyncClient instead). Prints
   requests/s and p50/p99 latency. Goal: >= 3,000 status changes/s with p99 <= 20 ms.
   `--profile` runs the Switchboard server under cProfile and prints where its time goes.
2. **Group commit** (`--part flush`): durable commands/s through `Server.flush` (SQLite, and
   PostgreSQL on 127.0.0.1:5432 in a fresh schema dropped afterwards) with C concurrent writers
   (each: execute a SetStatus, then `await server.flush()`, as `DurableResponses` does), beside
   the raw store append rate of the very same batches (`append_batch` one command per
   transaction, and `append_batches` in groups of the size the flush run formed).
3. **Restart** (`--part restart`): a log of 1M events (a scripted engine run: agents toggling
   status and contacts offered, accepted, ended and cleared) written through the server's group
   commit, then `Server.open()` timed with no snapshot (the whole log replayed) and with a
   snapshot at the end of the log. Goal: restart <= 5 s.

    .venv/bin/python bench/bench_server.py [--part http|flush|restart|all] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
import uvloop
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from psycopg import sql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from center import seed_center
from switchboard.api.app import build_app
from switchboard.api.auth import SERVER_ADMIN, Role
from switchboard.api.registry import Instance
from switchboard.api.server import Server
from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.model import (
    AgentId,
    Channel,
    ProfileQueue,
    QueueId,
    RoutingProfileId,
    StatusId,
)
from switchboard.engine.clock import SystemClock
from switchboard.storage.backend import Backend, open_backend
from switchboard.storage.catalog import SqliteCatalog
from switchboard.storage.postgres import PostgresStore
from switchboard.storage.sqlite import SqliteStore
from switchboard.storage.store import Batch, SqlStore, save_engine_snapshot, snapshot_engine

REGION = "us-east-1"
MASTER_KEY = "m0W0rQ8mE6d0j1P2X8v1Y3l9cZ1v7dH2kFq3nR5tU6w="  # a bench-only Fernet key
ENVIRON = {"SWITCHBOARD_SECRET_KEY": MASTER_KEY}
PG = ("127.0.0.1", 5432)
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f}"


def pg_up() -> bool:
    try:
        with socket.create_connection(PG, timeout=1.0):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ============================================================================ part 1: HTTP


def bare_app() -> Starlette:
    async def ok(_: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    async def health(_: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    return Starlette(
        routes=[
            Route("/users/{instance}/{user}/status", ok, methods=["PUT"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )


def serve_child(kind: str, port: int, db: str, profile: str | None) -> None:
    """The server process: `switchboard serve`'s app (or the bare peer) on uvicorn."""
    app: Any
    if kind == "bare":
        app = bare_app()
    else:
        kind_of = SkipIfDurable if kind == "skip" else Server
        server = kind_of(open_backend(db), clock=SystemClock(), region=REGION, environ=ENVIRON)
        server.open()
        key = server.accounts.create_key(
            username=SERVER_ADMIN, instance_id=None, user_id=None, roles=[Role.ADMIN]
        )
        print(json.dumps({"key": key.access_key_id, "secret": key.secret_access_key}), flush=True)
        app = build_app(server)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    uv = uvicorn.Server(config)
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    try:
        uv.run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the SIGINT that stopped it, after a graceful shutdown
    finally:
        if profiler is not None and profile is not None:
            profiler.disable()
            profiler.dump_stats(profile)


@dataclass
class Child:
    process: subprocess.Popen[str]
    url: str
    port: int
    key: tuple[str, str] | None

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_child(kind: str, db: str, profile: str | None = None) -> Child:
    port = free_port()
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port), "--db", db]
    if profile:
        command += ["--profile-out", profile]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    key = None
    if kind != "bare":
        assert process.stdout is not None
        doc = json.loads(process.stdout.readline())
        key = (doc["key"], doc["secret"])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"the {kind} server did not start")
        time.sleep(0.05)
    return Child(process, url, port, key)


def seed_http(child: Child, users: int) -> tuple[str, list[str], str, str]:
    """An instance, a Break status, a queue, a profile and `users` agents (admin calls, boto3)."""
    import boto3  # noqa: PLC0415 -- only the HTTP part needs boto3

    assert child.key is not None
    c = boto3.client(
        "connect",
        endpoint_url=child.url,
        region_name=REGION,
        aws_access_key_id=child.key[0],
        aws_secret_access_key=child.key[1],
    )
    return seed_center(c, users)


def signed_requests(
    port: int, key: tuple[str, str], instance: str, users: list[str], statuses: tuple[str, str]
) -> list[tuple[str, dict[str, str], bytes]]:
    """Per user, a Break then an Available PutUserStatus, signed once: (path, headers, body)."""
    out = []
    for user in users:
        path = f"/users/{instance}/{user}/status"
        for status in statuses:
            body = json.dumps({"AgentStatusId": status}).encode()
            request = AWSRequest(method="PUT", url=f"http://127.0.0.1:{port}{path}", data=body)
            SigV4Auth(Credentials(*key), "connect", REGION).add_auth(request)
            headers = dict(request.headers.items())
            headers["Host"] = f"127.0.0.1:{port}"
            headers["Content-Type"] = "application/json"
            out.append((path, headers, body))
    return out


def raw_bytes(path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"PUT {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


@dataclass
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


async def drive_raw(
    port: int, requests: list[list[bytes]], seconds: float, warmup: float
) -> tuple[list[float], int, float]:
    """Each client sends its own requests in turn on one keep-alive connection."""
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + seconds

    async def client(mine: list[bytes]) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = 0
        clock = time.perf_counter
        while True:
            t0 = clock()
            if t0 >= deadline:
                break
            writer.write(mine[i % len(mine)])
            i += 1
            status = await read_response(reader)
            t1 = clock()
            if t0 >= measure_from:
                latencies.append(t1 - t0)
                if status != 200:
                    errors += 1
        writer.close()

    await asyncio.gather(*(client(mine) for mine in requests))
    return latencies, errors, seconds


async def drive_httpx(
    url: str,
    requests: list[list[tuple[str, dict[str, str], bytes]]],
    seconds: float,
    warmup: float,
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + seconds
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
    async with httpx.AsyncClient(base_url=url, limits=limits) as session:

        async def client(mine: list[tuple[str, dict[str, str], bytes]]) -> None:
            nonlocal errors
            i = 0
            while True:
                t0 = time.perf_counter()
                if t0 >= deadline:
                    break
                path, headers, body = mine[i % len(mine)]
                i += 1
                response = await session.put(path, headers=headers, content=body)
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    if response.status_code != 200:
                        errors += 1

        await asyncio.gather(*(client(mine) for mine in requests))
    return latencies, errors, seconds


def summarize(latencies: list[float], errors: int, seconds: float) -> Load:
    ordered = sorted(latencies)
    if not ordered:
        return Load(0.0, 0.0, 0.0, errors)
    return Load(
        rate=len(ordered) / seconds,
        p50_ms=ordered[len(ordered) // 2] * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        errors=errors,
    )


def run_loop(coro: Awaitable[Any]) -> Any:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


def median_load(loads: list[Load]) -> Load:
    return Load(
        rate=statistics.median(x.rate for x in loads),
        p50_ms=statistics.median(x.p50_ms for x in loads),
        p99_ms=statistics.median(x.p99_ms for x in loads),
        errors=sum(x.errors for x in loads),
    )


def part_http(args: argparse.Namespace, folder: Path) -> None:
    levels = [int(n) for n in args.clients.split(",")]
    profile = str(folder / "server.prof") if args.profile else None
    ours = start_child("switchboard", str(folder / "http.db"), profile)
    skip = start_child("skip", str(folder / "skip.db"))
    bare = start_child("bare", str(folder / "unused.db"))
    try:
        assert ours.key is not None
        assert skip.key is not None
        instance, users, brk, available = seed_http(ours, max(levels))
        skip_instance, skip_users, skip_brk, skip_available = seed_http(skip, max(levels))
        presigned = {
            "switchboard": signed_requests(ours.port, ours.key, instance, users, (brk, available)),
            "skip": signed_requests(
                skip.port, skip.key, skip_instance, skip_users, (skip_brk, skip_available)
            ),
            "bare": signed_requests(bare.port, ours.key, instance, users, (brk, available)),
        }
        results: dict[tuple[str, int], Load] = {}
        for n in levels:
            for name, child in (("switchboard", ours), ("skip", skip), ("bare", bare)):
                reqs = presigned[name]
                per_client = [[reqs[2 * j], reqs[2 * j + 1]] for j in range(n)]
                loads = []
                for _ in range(args.repeats):
                    if args.client == "httpx":
                        outcome = run_loop(
                            drive_httpx(child.url, per_client, args.seconds, args.warmup)
                        )
                    else:
                        raw = [[raw_bytes(*r) for r in mine] for mine in per_client]
                        outcome = run_loop(drive_raw(child.port, raw, args.seconds, args.warmup))
                    loads.append(summarize(*outcome))
                results[(name, n)] = median_load(loads)
    finally:
        ours.stop()
        skip.stop()
        bare.stop()

    print(
        f"\n== PutUserStatus over HTTP ({args.client} client, keep-alive, {args.seconds:.0f} s "
        f"per run after {args.warmup:.1f} s warm-up, medians of {args.repeats}; one uvicorn "
        "worker, uvloop + httptools, server in its own process)"
    )
    print(
        f"{'clients':>7} | {'Switchboard req/s':>17} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'skip-if-durable':>15} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'bare req/s':>10} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5} {'skip/bare':>9}  errors"
    )
    for n in levels:
        s, k, b = results[("switchboard", n)], results[("skip", n)], results[("bare", n)]
        ratio = s.rate / b.rate if b.rate else 0.0
        skip_ratio = k.rate / b.rate if b.rate else 0.0
        print(
            f"{n:>7} | {s.rate:>17,.0f} {s.p50_ms:>7.2f} {s.p99_ms:>7.2f} | "
            f"{k.rate:>15,.0f} {k.p50_ms:>7.2f} {k.p99_ms:>7.2f} | "
            f"{b.rate:>10,.0f} {b.p50_ms:>7.2f} {b.p99_ms:>7.2f} | {ratio:>5.2f} "
            f"{skip_ratio:>9.2f}  {s.errors}/{k.errors}/{b.errors}"
        )
    best = max((results[("switchboard", n)] for n in levels), key=lambda x: x.rate)
    print(
        f"goal: >= 3,000 status changes/s with p99 <= 20 ms on one worker; best here "
        f"{best.rate:,.0f}/s at p99 {best.p99_ms:.1f} ms"
    )
    if profile is not None:
        print_profile(profile)


def print_profile(path: str) -> None:
    stats = pstats.Stats(path)
    total = stats.total_tt  # type: ignore[attr-defined]
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(28)
    print(f"\n-- Switchboard server profile (cProfile, main thread, {total:.1f} s sampled)")
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("\n".join(lines[start:]))
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(20)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("\n-- by own time")
    print("\n".join(lines[start:]))
    for name in ("_authenticate", "put_user_status", "solve_dependencies"):
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats("cumulative").print_callees(name)
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        print(f"\n-- what {name} calls (cumulative)")
        print("\n".join(lines[-14:]))


# ============================================================================ instances in-process


def build_center(
    server: Server, alias: str, agents: int, at: int | None = None
) -> tuple[Instance, list[AgentId]]:
    """An instance with Break, one queue (VOICE 1), one profile and `agents` logged-in agents,
    built through the engine's commands (at `at`, else now)."""
    at = server.clock.now() if at is None else at
    instance = server.registry.create(alias=alias, clock=server.clock, at=at)
    engine = instance.engine
    engine.execute(cmd.CreateAgentStatus(status_id=StatusId("break"), name="Break"), at=at)
    queue = QueueId("q")
    engine.execute(cmd.CreateQueue(queue_id=queue, name="Q"), at=at)
    profile = RoutingProfileId("p")
    engine.execute(
        cmd.CreateRoutingProfile(
            profile_id=profile,
            name="P",
            concurrency=((Channel.VOICE, 1),),
            queues=(ProfileQueue(queue_id=queue, channel=Channel.VOICE),),
        ),
        at=at,
    )
    ids = []
    for n in range(agents):
        agent = AgentId(f"agent-{n}")
        engine.execute(
            cmd.CreateUser(
                agent_id=agent,
                username=f"a{n}",
                first_name="A",
                last_name=str(n),
                profile_id=profile,
            ),
            at=at,
        )
        engine.execute(cmd.Login(agent_id=agent), at=at)
        ids.append(agent)
    return instance, ids


class PgBackend(Backend):
    """The server's storage with each instance's log in a fresh PostgreSQL schema (catalog in a
    temporary SQLite file, so the bench never touches the shared `switchboard` schema)."""

    def __init__(self, catalog_path: Path, schemas: list[str]) -> None:
        super().__init__(PG_URL, SqliteCatalog(catalog_path), sqlite_path=catalog_path)
        self.schemas = schemas

    def open_store(self, instance_id: str) -> SqlStore:
        schema = f"bench_server_{uuid.uuid4().hex[:12]}"
        self.schemas.append(schema)
        return PostgresStore(PG_URL, instance_id=instance_id, schema=schema)


def drop_schemas(schemas: list[str]) -> None:
    if not schemas:
        return
    with psycopg.connect(PG_URL, autocommit=True) as db:
        for name in schemas:
            db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
    schemas.clear()


# ============================================================================ part 2: flush


class SkipIfDurable(Server):
    """A proposal measured beside `Server.flush` (not the server's code): a caller whose commands
    a previous group commit already wrote returns at once instead of writing the commands that
    arrived since. Without it, waiters on the commit lock take turns writing one command each
    (a convoy: see bench/README.md)."""

    async def flush(self) -> None:
        durables = list(self._durable.values())
        wanted = [(d, d.log.next_seq - 1) for d in durables]

        def done() -> bool:
            return all(d.log.durable_seq >= seq for d, seq in wanted)

        if done():
            return
        async with self._commit_lock:
            if done():
                return
            work = []
            for instance in self.registry:
                durable = self._durable[instance.id]
                batches = durable.log.take()
                if batches:
                    work.append((durable, batches, None))
            await asyncio.to_thread(self._write, work)
            for durable, _, _ in work:
                durable.log.written()
            for listener in self.listeners:
                listener()


@dataclass
class FlushRun:
    commands: int
    seconds: float
    writes: int
    batches: list[Batch]


async def flush_run(
    server: Server, instance: Instance, agents: list[AgentId], seconds: float
) -> FlushRun:
    """Each writer toggles its own agent and waits for `server.flush()` (DurableResponses)."""
    engine = instance.engine
    state = engine.state
    available, brk = state.available_id, StatusId("break")
    durable = server.durable(instance.id)
    captured: list[Batch] = []
    original_take = durable.log.take

    def take() -> list[Batch]:
        batches = original_take()
        captured.extend(batches)
        return batches

    durable.log.take = take  # type: ignore[method-assign]
    writes = 0

    def wrote() -> None:
        nonlocal writes
        writes += 1

    server.listeners.append(wrote)
    done = 0
    deadline = time.perf_counter() + seconds

    async def writer(agent: AgentId) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            status = brk if state.agents[agent].status_id == available else available
            engine.execute(cmd.SetStatus(agent_id=agent, status_id=status))
            await server.flush()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(writer(a) for a in agents))
    took = time.perf_counter() - start
    server.listeners.remove(wrote)
    durable.log.take = original_take  # type: ignore[method-assign]
    return FlushRun(done, took, writes, captured)


def raw_append(open_store: Callable[[], SqlStore], batches: list[Batch], group: int) -> float:
    """Commands/s of `append_batches` in groups of `group` on a fresh store."""
    with open_store() as store:
        start = time.perf_counter()
        for i in range(0, len(batches), group):
            store.append_batches(batches[i : i + group])
        return len(batches) / (time.perf_counter() - start)


def per_command(batches: list[Batch]) -> list[Batch]:
    """One batch per command again (a take holds every command since the last one): each
    SetStatus toggle is one event and one AES record."""
    out: list[Batch] = []
    for events, entries in batches:
        if len(events) == len(entries):
            out.extend(([e], [x]) for e, x in zip(events, entries, strict=True))
        else:
            out.append((events, entries))
    return out


def one_flush_run(
    kind: type[Server], backend: Backend, tag: str, writers: int, seconds: float
) -> FlushRun:
    server = kind(backend, clock=SystemClock(), region=REGION, environ=ENVIRON)
    server.open()
    instance, agents = build_center(server, f"flush{tag}", writers)
    run_loop(server.flush())
    run = run_loop(flush_run(server, instance, agents, seconds))
    run_loop(server.close())
    return run


def part_flush(args: argparse.Namespace, folder: Path) -> None:
    levels = [int(n) for n in args.writers.split(",")]
    backends = ["sqlite", *(["postgresql"] if pg_up() else [])]
    if len(backends) == 1:
        print("PostgreSQL: not running on 127.0.0.1:5432, skipped")
    kinds: list[type[Server]] = [Server, SkipIfDurable]
    rows = []
    for backend_name in backends:
        for writers in levels:
            rates: dict[type[Server], list[FlushRun]] = {k: [] for k in kinds}
            raw_one, raw_group = [], []
            for _ in range(args.repeats):
                schemas: list[str] = []

                def opener(kind: str = backend_name, made: list[str] = schemas) -> SqlStore:
                    if kind == "sqlite":
                        return SqliteStore(folder / f"raw-{uuid.uuid4().hex}.db")
                    schema = f"bench_server_{uuid.uuid4().hex[:12]}"
                    made.append(schema)
                    return PostgresStore(
                        PG_URL, instance_id=f"raw-{uuid.uuid4().hex}", schema=schema
                    )

                try:
                    for kind in kinds:
                        tag = uuid.uuid4().hex[:10]
                        backend: Backend
                        if backend_name == "sqlite":
                            backend = open_backend(str(folder / f"flush-{tag}.db"))
                        else:
                            backend = PgBackend(folder / f"catalog-{tag}.db", schemas)
                        rates[kind].append(
                            one_flush_run(kind, backend, tag, writers, args.flush_seconds)
                        )
                    # The raw peer: the commands of the Server.flush run, per command and in
                    # groups of the size the proposal's run formed.
                    batches = per_command(rates[Server][-1].batches)[: args.raw_commands]
                    proposal = rates[SkipIfDurable][-1]
                    group = max(1, round(proposal.commands / max(1, proposal.writes)))
                    raw_one.append(raw_append(opener, batches[:2000], 1))
                    raw_group.append((raw_append(opener, batches, group), group))
                finally:
                    drop_schemas(schemas)

            def med(runs: list[FlushRun]) -> tuple[float, float]:
                return (
                    statistics.median(r.commands / r.seconds for r in runs),
                    statistics.median(r.commands / max(1, r.writes) for r in runs),
                )

            rows.append(
                (
                    backend_name,
                    writers,
                    *med(rates[Server]),
                    *med(rates[SkipIfDurable]),
                    statistics.median(raw_one),
                    statistics.median(r for r, _ in raw_group),
                    statistics.median(g for _, g in raw_group),
                )
            )
    print(
        f"\n== Durable commands/s through Server.flush (each writer: a SetStatus toggle = 1 "
        f"event + 1 AES record, then await flush; {args.flush_seconds:.1f} s per run, medians "
        f"of {args.repeats})"
    )
    print(
        f"{'store':<10} {'writers':>7} | {'Server.flush':>12} {'cmd/commit':>10} | "
        f"{'skip-if-durable':>15} {'cmd/commit':>10} | {'raw 1/txn':>9} {'raw groups':>10} "
        f"{'(size)':>6} | {'flush/raw1':>10} {'skip/rawgrp':>11}"
    )
    for name, writers, rate, group, skip, skip_group, one, grouped, size in rows:
        print(
            f"{name:<10} {writers:>7} | {rate:>12,.0f} {group:>10.1f} | {skip:>15,.0f} "
            f"{skip_group:>10.1f} | {one:>9,.0f} {grouped:>10,.0f} {size:>6.0f} | "
            f"{rate / one:>10.2f} {skip / grouped:>11.2f}"
        )


# ============================================================================ part 3: restart


def build_log(
    db: str, events_wanted: int, agents: int, tail: int
) -> tuple[int, tuple[int, bytes], float]:
    """A log of about `events_wanted` events, through the server's group commit, and a snapshot
    `tail` events before its end (as `snapshot_every` leaves at worst); returns (events, that
    snapshot's (seq, image), seconds to build). The agent event stream is not projected while
    building (~2 KB of outbox per event); contact records are, as in a real log."""
    start = time.perf_counter()
    server = Server(open_backend(db), clock=SystemClock(), region=REGION, environ=ENVIRON)
    server.open()
    # Event times end about now (a step is 20 ms), so a restart has no future to catch up with.
    at = server.clock.now() - events_wanted * 20
    instance, ids = build_center(server, "restart", agents, at)
    engine = instance.engine
    engine.publish_stream = False
    state = engine.state
    available, brk = state.available_id, StatusId("break")
    rng = random.Random(1)
    durable = server.durable(instance.id)
    snapshot_at = 0
    image = b""
    for agent in ids:
        engine.execute(cmd.SetStatus(agent_id=agent, status_id=available), at=at)
    log = server.durable(instance.id).log
    queue = QueueId("q")

    async def script() -> None:
        nonlocal at, snapshot_at, image
        step = 0
        while log.next_seq <= events_wanted:
            at += 20
            step += 1
            if step % 3 == 0:  # a contact: queued, offered, accepted, hung up, cleared
                contact = engine.new_contact_id()
                started = engine.execute(
                    cmd.StartInboundContact(
                        contact_id=contact, channel=Channel.VOICE, queue_id=queue
                    ),
                    at=at,
                )
                offered = next((e for e in started if isinstance(e, ev.ContactOffered)), None)
                if offered is None:
                    engine.execute(cmd.CustomerHangup(contact_id=contact), at=at + 5)
                    continue
                agent = offered.agent_id
                engine.execute(cmd.AcceptContact(agent_id=agent, contact_id=contact), at=at + 5)
                engine.execute(cmd.CustomerHangup(contact_id=contact), at=at + 10)
                engine.execute(cmd.ClearContact(agent_id=agent, contact_id=contact), at=at + 15)
            else:
                agent = ids[rng.randrange(len(ids))]
                status = brk if state.agents[agent].status_id == available else available
                engine.execute(cmd.SetStatus(agent_id=agent, status_id=status), at=at)
            if step % 20_000 == 0:
                await server.flush()
            if not snapshot_at and log.next_seq > events_wanted - tail:
                await server.flush()
                snapshot_at = save_engine_snapshot(durable.store, engine)
                image = snapshot_engine(engine)  # the store keeps only its latest snapshot
        await server.flush()

    run_loop(script())
    events = log.durable_seq
    run_loop(server.close())
    return events, (snapshot_at, image), time.perf_counter() - start


def delete_snapshots(db: str, keep: tuple[int, bytes] | None = None) -> None:
    """Delete the instance's snapshots, then store `keep` (seq, image) if given."""
    folder = Path(db + ".instances")
    for path in folder.glob("*.db"):
        conn = sqlite3.connect(path)
        with conn:
            conn.execute("DELETE FROM snapshots")
            if keep is not None:
                conn.execute("INSERT INTO snapshots (seq, state) VALUES (?, ?)", keep)
        conn.close()


def time_open(db: str, profile: str = "") -> tuple[float, int]:
    """Seconds for `Server(...)` + `open()`, and the sequence number it reopened at."""
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    server = Server(open_backend(db), clock=SystemClock(), region=REGION, environ=ENVIRON)
    server.open()
    if profiler is not None:
        profiler.disable()
    took = time.perf_counter() - start
    seq = max(server.durable(i.id).log.durable_seq for i in server.registry)
    # Close without the shutdown snapshot, so that each timing sees the same store.
    for instance in server.registry:
        server.durable(instance.id).store.close()
    server.backend.close()
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(14)
        lines = out.getvalue().splitlines()
        first = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print(f"\n-- Server.open() {profile}, by own time (cProfile)")
        print("\n".join(lines[first:]))
    return took, seq


def part_restart(args: argparse.Namespace, folder: Path) -> None:
    db = str(folder / "restart.db")
    events, early, built = build_log(db, args.events, args.agents, args.tail)
    snapshot_at = early[0]
    size = sum(p.stat().st_size for p in Path(db + ".instances").glob("*")) / 1e6
    delete_snapshots(db, keep=early)  # instead of the one `Server.close` took at the end
    behind = [time_open(db)[0] for _ in range(args.repeats)]
    delete_snapshots(db)
    cold = [time_open(db)[0] for _ in range(args.cold_repeats)]
    # A snapshot at the end of the log, as `Server.close` leaves one.
    server = Server(open_backend(db), clock=SystemClock(), region=REGION, environ=ENVIRON)
    server.open()
    run_loop(server.close())
    warm = [time_open(db)[0] for _ in range(args.repeats)]
    # Peer: reading and decoding the whole log alone (no state built).
    store = SqliteStore(next(Path(db + ".instances").glob("*.db")))
    start = time.perf_counter()
    n = sum(1 for _ in store.read())
    read_only = time.perf_counter() - start
    snapshot = store.latest_snapshot()
    store.close()
    snap_mb = len(snapshot[1]) / 1e6 if snapshot else 0.0
    print(
        f"\n== Restart: Server.open() on a log of {events:,} events ({args.agents} agents; "
        f"built in {built:.0f} s; instance file {size:,.0f} MB), medians of "
        f"{args.cold_repeats} (no snapshot) and {args.repeats} (snapshots)"
    )
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    behind_s = statistics.median(behind)
    tail = events - snapshot_at
    print(f"  no snapshot (replay all)            {cold_s:7.2f} s   {events / cold_s:>9,.0f} ev/s")
    print(f"  snapshot {tail:,} events behind   {behind_s:7.2f} s")
    print(f"  snapshot at the log's end           {warm_s:7.2f} s   (snapshot {snap_mb:.1f} MB)")
    print(f"  peer: store.read() of {n:,} events, decoded, no state: {read_only:.2f} s")
    print(
        f"  ratios: no-snapshot / read-only {cold_s / read_only:.2f}; "
        f"snapshot-at-end / no-snapshot {warm_s / cold_s:.3f}"
    )
    print(
        f"goal: restart <= 5 s; no snapshot {cold_s:.1f} s, snapshot {tail:,} behind "
        f"{behind_s:.2f} s, snapshot at the end {warm_s:.2f} s"
    )
    if args.profile:
        time_open(db, profile="with a snapshot at the end")
        delete_snapshots(db)
        time_open(db, profile="with no snapshot")


# ============================================================================ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="all", choices=["http", "flush", "restart", "all"])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter runs")
    parser.add_argument("--clients", default="1,16,64", help="HTTP concurrency levels")
    parser.add_argument("--client", default="raw", choices=["raw", "httpx"])
    parser.add_argument("--seconds", type=float, default=4.0, help="HTTP run length")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--writers", default="1,16,64", help="flush concurrency levels")
    parser.add_argument("--flush-seconds", type=float, default=3.0)
    parser.add_argument("--raw-commands", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--tail", type=int, default=50_000, help="events after the snapshot")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold-repeats", type=int, default=1, help="restarts with no snapshot")
    parser.add_argument("--profile", action="store_true", help="cProfile the server / restart")
    # the server subprocess of part 1
    parser.add_argument("--serve", choices=["switchboard", "skip", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_child(args.serve, args.port, args.db, args.profile_out)
        return
    if args.quick:
        args.seconds, args.warmup, args.flush_seconds = 2.0, 0.5, 1.5
        args.events, args.repeats, args.tail = 200_000, 1, 20_000
        args.clients, args.writers = "1,32", "1,32"
    print(f"bench_server: {load()} at start, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.part in ("http", "all"):
            part_http(args, folder)
        if args.part in ("flush", "all"):
            part_flush(args, folder)
        if args.part in ("restart", "all"):
            part_restart(args, folder)
    print(f"\nbench_server: {load()} at end")


if __name__ == "__main__":
    main()
