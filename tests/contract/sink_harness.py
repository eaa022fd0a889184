"""Each sink under test with what its consumers see: a factory, a broken twin and a reader.

A harness makes healthy sinks that all write to one destination (so a restarted runner's new sink
adds to what the old one wrote), a sink of the same kind whose deliveries fail, and `received()`:
every record at the destination in the order a consumer reads it, duplicates included.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import nats
import pytest
import redis

from switchboard.engine.outbox import RecordKind
from switchboard.sinks import Sink
from switchboard.sinks.jetstream import JetStreamSink
from switchboard.sinks.jsonl import JsonlSink, Layout, stream_files
from switchboard.sinks.kinesis import KinesisSink
from switchboard.sinks.redis_streams import RedisStreamsSink
from switchboard.sinks.webhook import SIGNATURE_HEADER, WebhookSink, verify
from tests.services import reachable, require

CLOSED_PORT = 1  # nothing listens on tcpmux: connections are refused at once


@dataclass(frozen=True, slots=True)
class Received:
    kind: RecordKind
    key: str
    record_id: str
    payload: bytes


def identify(kind: RecordKind, payload: bytes) -> Received:
    """What a consumer of plain Connect JSON does: the key and id are fields of the record."""
    record = json.loads(payload)
    if kind is RecordKind.AGENT_EVENT:
        return Received(kind, record["AgentARN"], record["EventId"], payload)
    return Received(kind, record["ContactId"], record["ContactId"], payload)


@dataclass
class Harness:
    make: Callable[[str], Sink]
    make_broken: Callable[[str], Sink]
    received: Callable[[], list[Received]]
    cleanup: list[Callable[[], None]] = field(default_factory=list)


# --------------------------------------------------------------------------- JSONL


def _split_concatenated(data: bytes) -> list[bytes]:
    decoder = json.JSONDecoder()
    text, out, at = data.decode(), [], 0
    while at < len(text):
        _, end = decoder.raw_decode(text, at)
        out.append(text[at:end].encode())
        at = end
    return out


def jsonl_harness(tmp: Path, layout: Layout) -> Harness:
    folder = tmp / "records"

    def make(name: str) -> Sink:
        # Small files, so the suite reads across rotations too.
        return JsonlSink(folder, name=name, layout=layout, max_bytes=600, prefix="connect")

    def make_broken(name: str) -> Sink:
        blocker = tmp / "not-a-folder"
        blocker.write_text("a file where the folder should be")
        return JsonlSink(blocker / "records", name=name, layout=layout)

    def received() -> list[Received]:
        out: list[Received] = []
        for kind, stem in (
            (RecordKind.AGENT_EVENT, "agent-events"),
            (RecordKind.CONTACT_RECORD, "contact-records"),
        ):
            if layout is Layout.FILES:
                for path in stream_files(folder, kind):
                    lines = path.read_bytes().splitlines()
                    out.extend(identify(kind, line) for line in lines)
            else:
                # Firehose objects sort by their name's time, then the outbox position in it.
                objects = sorted(
                    (p for p in folder.rglob(f"{stem}-*") if p.is_file()),
                    key=_firehose_order,
                )
                for path in objects:
                    parts = _split_concatenated(path.read_bytes())
                    out.extend(identify(kind, part) for part in parts)
        return out

    return Harness(make, make_broken, received)


def _firehose_order(path: Path) -> tuple[Path, list[str], list[int]]:
    """`<stem>-YYYY-MM-DD-HH-MM-SS-<position>[-n]`: by hour folder, time, position, then n."""
    parts = path.name.split("-")
    return (path.parent, parts[2:8], [int(p) for p in parts[8:]])


# --------------------------------------------------------------------------- Redis


def redis_harness() -> Harness:
    host, port = require("redis")
    prefix = f"sbtest-{uuid.uuid4().hex}"
    url = f"redis://{host}:{port}/0"
    client = redis.Redis.from_url(url)

    def make(name: str) -> Sink:
        return RedisStreamsSink(url=url, prefix=prefix, name=name)

    def make_broken(name: str) -> Sink:
        return RedisStreamsSink(
            url=f"redis://127.0.0.1:{CLOSED_PORT}/0", prefix=prefix, name=name, timeout_s=0.5
        )

    def received() -> list[Received]:
        out: list[Received] = []
        for kind, stem in (
            (RecordKind.AGENT_EVENT, "agent-events"),
            (RecordKind.CONTACT_RECORD, "contact-records"),
        ):
            for _id, fields in client.xrange(f"{prefix}:{stem}"):
                out.append(
                    Received(
                        kind,
                        fields[b"key"].decode(),
                        fields[b"record_id"].decode(),
                        fields[b"payload"],
                    )
                )
        return out

    def cleanup() -> None:
        client.delete(f"{prefix}:agent-events", f"{prefix}:contact-records")
        client.close()

    return Harness(make, make_broken, received, [cleanup])


# --------------------------------------------------------------------------- NATS JetStream


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def nats_harness() -> Harness:
    host, port = require("nats")
    token = uuid.uuid4().hex
    stream, prefix = f"SBTEST_{token}", f"sbtest.{token}"
    servers = f"nats://{host}:{port}"

    def make(name: str) -> Sink:
        return JetStreamSink(servers=servers, stream=stream, subject_prefix=prefix, name=name)

    def make_broken(name: str) -> Sink:
        return JetStreamSink(
            servers=f"nats://127.0.0.1:{CLOSED_PORT}",
            stream=stream,
            subject_prefix=prefix,
            name=name,
            timeout_s=0.5,
        )

    async def read() -> list[Received]:
        nc = await nats.connect(servers)
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            out: list[Received] = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(stream, seq)
                kind = (
                    RecordKind.AGENT_EVENT
                    if msg.subject == f"{prefix}.agent-events"
                    else RecordKind.CONTACT_RECORD
                )
                assert msg.data is not None
                seen = identify(kind, msg.data)
                assert msg.headers is not None
                assert msg.headers["Nats-Msg-Id"] == seen.record_id
                out.append(seen)
            return out
        finally:
            await nc.close()

    def received() -> list[Received]:
        result: list[Received] = _run(read())
        return result

    async def delete() -> None:
        nc = await nats.connect(servers)
        try:
            await nc.jetstream().delete_stream(stream)
        except nats.js.errors.NotFoundError:
            pass
        finally:
            await nc.close()

    return Harness(make, make_broken, received, [lambda: _run(delete())])


# --------------------------------------------------------------------------- Kinesis (kinesalite)

KINESALITE = Path(__file__).resolve().parents[2] / ".tools/node_modules/kinesalite/cli.js"
"""Installed by `npm install --prefix .tools --no-audit --no-fund kinesalite@3` (.ci/run)."""
KINESALITE_OPTIONS = ["--createStreamMs", "0", "--deleteStreamMs", "0", "--shardLimit", "1000"]
"""Streams active and deleted at once; room for a whole session's streams (default: 10 shards)."""
KINESIS_KEYS = {"access_key_id": "test", "secret_access_key": "test"}  # kinesalite checks none


def _unavailable(message: str) -> None:
    """The rule of tests/services.py for a server the test session starts itself."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must install it (.ci/run)")
    pytest.skip(f"{message}; install it to run this test")


class Kinesalite:
    """A kinesalite server (in-memory Kinesis, on Node) on a free local port for a test session."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            _unavailable("kinesalite needs node, which is not installed")
        if not KINESALITE.exists():
            _unavailable(f"kinesalite is not installed at {KINESALITE}")
        with socket.socket() as probe:  # kinesalite reads --port 0 as its default, 4567
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(node), str(KINESALITE), "--port", str(self.port), *KINESALITE_OPTIONS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15.0
        while not reachable("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                _unavailable(f"kinesalite did not start on port {self.port}")
            time.sleep(0.05)

    def client(self) -> Any:
        return boto3.client(
            "kinesis",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def read_stream(client: Any, stream: str) -> list[dict[str, Any]]:
    """Every record of `stream`, shard by shard from the oldest (GetShardIterator, GetRecords)."""
    out: list[dict[str, Any]] = []
    shards = client.list_shards(StreamName=stream)["Shards"]
    for shard in sorted(shards, key=lambda s: s["ShardId"]):
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=1000)
            out.extend(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return out


def kinesis_harness(server: Kinesalite) -> Harness:
    token = uuid.uuid4().hex[:12]
    streams = {
        RecordKind.AGENT_EVENT: f"sbtest-{token}-agent-events",
        RecordKind.CONTACT_RECORD: f"sbtest-{token}-contact-records",
    }
    client = server.client()
    for stream in streams.values():
        client.create_stream(StreamName=stream, ShardCount=2)  # keys spread over two shards
    for stream in streams.values():
        client.get_waiter("stream_exists").wait(
            StreamName=stream, WaiterConfig={"Delay": 0.05, "MaxAttempts": 100}
        )

    def make(name: str) -> Sink:
        return KinesisSink(
            streams[RecordKind.AGENT_EVENT],
            streams[RecordKind.CONTACT_RECORD],
            server.endpoint,
            name=name,
            **KINESIS_KEYS,
        )

    def make_broken(name: str) -> Sink:
        return KinesisSink(
            streams[RecordKind.AGENT_EVENT],
            streams[RecordKind.CONTACT_RECORD],
            f"http://127.0.0.1:{CLOSED_PORT}",
            name=name,
            timeout_s=0.5,
            client_attempts=1,
            **KINESIS_KEYS,
        )

    def received() -> list[Received]:
        out: list[Received] = []
        for kind, stream in streams.items():
            for record in read_stream(client, stream):
                seen = identify(kind, record["Data"])
                assert record["PartitionKey"] == seen.key
                out.append(seen)
        return out

    def cleanup() -> None:
        for stream in streams.values():
            client.delete_stream(StreamName=stream)
        client.close()

    return Harness(make, make_broken, received, [cleanup])


# --------------------------------------------------------------------------- webhook


class Receiver:
    """A tiny webhook endpoint on 127.0.0.1: checks signatures, answers with scripted statuses."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.bodies: list[bytes] = []
        self.statuses: list[int] = []
        """Statuses to answer with, first to last, before answering 200 again."""
        self.always: int | None = None
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(receiver.secret, body, self.headers.get(SIGNATURE_HEADER, "")):
                    receiver.bad_signatures += 1
                    status = 401
                elif receiver.always is not None:
                    status = receiver.always
                elif receiver.statuses:
                    status = receiver.statuses.pop(0)
                else:
                    status = 200
                if status == 200:
                    receiver.bodies.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads what arrived, not the access log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def records(self) -> Iterator[dict[str, Any]]:
        for body in self.bodies:
            yield from json.loads(body)["records"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def webhook_harness(tmp: Path) -> Harness:
    secret = b"contract-suite-secret"
    receiver = Receiver(secret)

    def make(name: str) -> Sink:
        return WebhookSink(
            receiver.url, secret=secret, dead_letter=tmp / "dead.jsonl", name=name, sleep=_no_wait
        )

    def make_broken(name: str) -> Sink:
        # Unreachable, and the dead letter cannot be written either: nothing may be committed.
        blocker = tmp / "not-a-folder"
        blocker.write_text("a file where the folder should be")
        return WebhookSink(
            f"http://127.0.0.1:{CLOSED_PORT}/hook",
            secret=secret,
            dead_letter=blocker / "dead.jsonl",
            name=name,
            max_attempts=2,
            sleep=_no_wait,
        )

    def received() -> list[Received]:
        out = []
        for item in receiver.records():
            kind = RecordKind(item["kind"])
            payload = json.dumps(item["record"], separators=(",", ":"), sort_keys=True).encode()
            seen = identify(kind, payload)
            assert (seen.key, seen.record_id) == (item["key"], item["record_id"])
            out.append(seen)
        return out

    return Harness(make, make_broken, received, [receiver.close])


def _no_wait(_seconds: float) -> None:
    """Tests do not wait out the webhook's backoff."""
