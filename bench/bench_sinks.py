"""Sinks: records delivered per second through `SinkRunner`, each beside a raw same-run baseline.

The outbox (in memory) holds N agent events of ~600 bytes; a fresh runner pumps it to the end in
batches of B (the runner's default, 500). Each sink is printed beside what its client does with
no Switchboard code around it, on the same records and batches:

* jsonl: raw `write` of the lines to one file and one fsync per batch;
* jsonl firehose: the same raw baseline (concatenated records, one fsync per batch);
* redis: a raw XADD pipeline per batch (redis-py, same fields);
* nats: raw JetStream `publish_async` per batch with the same Msg-Id headers, then all acks;
* webhook: raw httpx POSTs of the same bodies (pre-encoded, unsigned) to the same local server;
* kinesis: raw boto3 `put_records` of the same records per batch, to the same kinesalite stream.

Figures are medians of R repeats. Redis and NATS run when their servers listen on their standard
local ports (tests/services.py), and are reported as not running otherwise; kinesis runs when
kinesalite is installed in `.tools/` (docs/sinks.md), started here on a free port.

    .venv/bin/python bench/bench_sinks.py [--records N] [--batch B] [--repeats R]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import httpx
import nats
import redis

from switchboard.engine.outbox import InMemoryOutbox, OutboxEntry, OutboxRecord, RecordKind
from switchboard.sinks import Sink, SinkRunner
from switchboard.sinks.jetstream import JetStreamSink
from switchboard.sinks.jsonl import JsonlSink, Layout
from switchboard.sinks.kinesis import KinesisSink
from switchboard.sinks.redis_streams import RedisStreamsSink
from switchboard.sinks.webhook import WebhookSink, encode_batch


def record(i: int) -> OutboxEntry:
    agent = f"arn:aws:connect:us-east-1:111122223333:instance/x/agent/a{i % 200}"
    event = str(uuid.UUID(int=i))
    payload = (
        b'{"AgentARN":"' + agent.encode() + b'","EventId":"' + event.encode() + b'",'
        b'"EventType":"STATE_CHANGE","x":"' + (b"y" * 450) + b'"}'
    )
    return OutboxEntry(RecordKind.AGENT_EVENT, agent, event, payload)


def up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def batches(entries: list[OutboxEntry], size: int) -> list[list[OutboxRecord]]:
    records = [OutboxRecord(i + 1, e) for i, e in enumerate(entries)]
    return [records[i : i + size] for i in range(0, len(records), size)]


def through_runner(entries: list[OutboxEntry], sink: Sink, batch: int) -> float:
    outbox = InMemoryOutbox()
    outbox.append(entries)
    runner = SinkRunner(outbox, sink, batch_size=batch)
    start = time.perf_counter()
    while runner.pump_once():
        pass
    elapsed = time.perf_counter() - start
    sink.close()
    assert runner.delivered == len(entries)
    return len(entries) / elapsed


def median_rate(repeats: int, run: Callable[[], float]) -> float:
    return statistics.median(run() for _ in range(repeats))


# --------------------------------------------------------------------------- baselines


def raw_file(entries: list[OutboxEntry], batch: int, folder: Path, newline: bool) -> float:
    path = folder / f"raw-{uuid.uuid4().hex}"
    chunks = [
        b"".join(r.entry.payload + (b"\n" if newline else b"") for r in b)
        for b in batches(entries, batch)
    ]
    start = time.perf_counter()
    with path.open("ab") as file:
        for chunk in chunks:
            file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
    return len(entries) / (time.perf_counter() - start)


def raw_redis(entries: list[OutboxEntry], batch: int) -> float:
    client = redis.Redis()
    key = f"bench-raw-{uuid.uuid4().hex}"
    start = time.perf_counter()
    for b in batches(entries, batch):
        pipe = client.pipeline(transaction=False)
        for r in b:
            e = r.entry
            pipe.xadd(key, {"key": e.key, "record_id": e.record_id, "payload": e.payload})
        pipe.execute()
    elapsed = time.perf_counter() - start
    client.delete(key)
    client.close()
    return len(entries) / elapsed


def raw_nats(entries: list[OutboxEntry], batch: int) -> float:
    async def go() -> float:
        nc = await nats.connect("nats://127.0.0.1:4222")
        js = nc.jetstream()
        token = uuid.uuid4().hex
        stream, subject = f"BENCH_RAW_{token}", f"benchraw.{token}"
        await js.add_stream(name=stream, subjects=[f"{subject}.>"])
        start = time.perf_counter()
        for b in batches(entries, batch):
            acks = [
                await js.publish_async(
                    f"{subject}.agent-events",
                    r.entry.payload,
                    headers={"Nats-Msg-Id": r.entry.record_id},
                )
                for r in b
            ]
            await asyncio.gather(*acks)
        elapsed = time.perf_counter() - start
        await js.delete_stream(stream)
        await nc.close()
        return len(entries) / elapsed

    return asyncio.run(go())


def raw_http(entries: list[OutboxEntry], batch: int, url: str) -> float:
    bodies = [encode_batch(b) for b in batches(entries, batch)]
    with httpx.Client() as client:
        start = time.perf_counter()
        for body in bodies:
            client.post(url, content=body).raise_for_status()
        elapsed = time.perf_counter() - start
    return len(entries) / elapsed


class Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the benchmark prints figures, not an access log."""


# --------------------------------------------------------------------------- main


KINESALITE = Path(__file__).resolve().parents[1] / ".tools/node_modules/kinesalite/cli.js"


def raw_kinesis(entries: list[OutboxEntry], batch: int, client: object, stream: str) -> float:
    put = getattr(client, "put_records")  # noqa: B009 - boto3's client has no types
    chunks = [
        [{"Data": r.entry.payload, "PartitionKey": r.entry.key} for r in b]
        for b in batches(entries, batch)
    ]
    start = time.perf_counter()
    for chunk in chunks:
        assert put(StreamName=stream, Records=chunk)["FailedRecordCount"] == 0
    return len(entries) / (time.perf_counter() - start)


def bench_kinesis(entries: list[OutboxEntry], batch: int, repeats: int) -> None:
    node = shutil.which("node")
    if node is None or not KINESALITE.exists():
        print("kinesis          kinesalite (or node) not installed")
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [node, str(KINESALITE), "--port", str(port), "--shardLimit", "1000"],
        stdout=subprocess.DEVNULL,
    )
    try:
        while not up(port):
            time.sleep(0.05)
        endpoint = f"http://127.0.0.1:{port}"
        keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
        client = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1", **keys)

        def stream() -> str:
            name = f"bench-{uuid.uuid4().hex}"
            client.create_stream(StreamName=name, ShardCount=4)
            client.get_waiter("stream_exists").wait(
                StreamName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 100}
            )
            return name

        def sink_run() -> float:
            name = stream()
            sink = KinesisSink(
                name,
                name,
                endpoint,
                access_key_id="bench",
                secret_access_key="bench",
            )
            return through_runner(entries, sink, batch)

        row(
            "kinesis",
            median_rate(repeats, sink_run),
            "raw boto3 put_records per batch",
            median_rate(repeats, lambda: raw_kinesis(entries, batch, client, stream())),
        )
        client.close()
    finally:
        server.terminate()
        server.wait()


def row(name: str, sink_rate: float, base_name: str, base_rate: float) -> None:
    print(
        f"{name:<16} {sink_rate:>12,.0f} rec/s   {base_name:<34} {base_rate:>12,.0f} rec/s"
        f"   ratio {sink_rate / base_rate:5.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, batch, repeats = args.records, args.batch, args.repeats
    entries = [record(i) for i in range(n)]
    print(f"load average at start: {os.getloadavg()}")
    print(
        f"{n:,} agent events of ~{len(entries[0].payload)} bytes, batches of {batch}, "
        f"medians of {repeats}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        jsonl = median_rate(
            repeats,
            lambda: through_runner(entries, JsonlSink(folder / uuid.uuid4().hex), batch),
        )
        raw_lines = median_rate(repeats, lambda: raw_file(entries, batch, folder, True))
        row("jsonl", jsonl, "raw write + fsync per batch", raw_lines)
        firehose = median_rate(
            repeats,
            lambda: through_runner(
                entries,
                JsonlSink(folder / uuid.uuid4().hex, layout=Layout.FIREHOSE),
                batch,
            ),
        )
        raw_concat = median_rate(repeats, lambda: raw_file(entries, batch, folder, False))
        row("jsonl firehose", firehose, "raw write + fsync per batch", raw_concat)

        if up(6379):
            prefix = f"bench-{uuid.uuid4().hex}"
            rs = median_rate(
                repeats, lambda: through_runner(entries, RedisStreamsSink(prefix=prefix), batch)
            )
            redis.Redis().delete(f"{prefix}:agent-events")
            row(
                "redis",
                rs,
                "raw XADD pipeline per batch",
                median_rate(repeats, lambda: raw_redis(entries, batch)),
            )
        else:
            print("redis            not running on 127.0.0.1:6379")

        if up(4222):

            def js_sink() -> float:
                token = uuid.uuid4().hex
                stream = f"BENCH_{token}"
                rate = through_runner(
                    entries, JetStreamSink(stream=stream, subject_prefix=f"bench.{token}"), batch
                )

                async def drop() -> None:
                    nc = await nats.connect("nats://127.0.0.1:4222")
                    await nc.jetstream().delete_stream(stream)
                    await nc.close()

                asyncio.run(drop())
                return rate

            row(
                "nats",
                median_rate(repeats, js_sink),
                "raw JetStream publish_async",
                median_rate(repeats, lambda: raw_nats(entries, batch)),
            )
        else:
            print("nats             not running on 127.0.0.1:4222")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        hook = median_rate(
            repeats,
            lambda: through_runner(
                entries,
                WebhookSink(url, secret=b"bench", dead_letter=folder / "dead.jsonl"),
                batch,
            ),
        )
        row(
            "webhook",
            hook,
            "raw httpx POST of the same bodies",
            median_rate(repeats, lambda: raw_http(entries, batch, url)),
        )
        server.shutdown()
        server.server_close()
    bench_kinesis(entries, batch, repeats)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
