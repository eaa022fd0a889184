"""What each sink promises beyond the shared contract: layouts, rotation, signing, dead letters."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from switchboard.engine.outbox import InMemoryOutbox, OutboxEntry, OutboxRecord, RecordKind
from switchboard.sinks import Backoff, SinkRunner
from switchboard.sinks.jsonl import JsonlSink, Layout, stream_files
from switchboard.sinks.webhook import SIGNATURE_HEADER, WebhookSink, encode_batch
from tests.contract.sink_harness import Receiver


def agent_event(n: int, agent: str = "a0") -> OutboxEntry:
    payload = json.dumps({"AgentARN": agent, "EventId": f"e{n}"}, separators=(",", ":")).encode()
    return OutboxEntry(RecordKind.AGENT_EVENT, agent, f"e{n}", payload)


def contact_record(n: int) -> OutboxEntry:
    payload = json.dumps({"ContactId": f"c{n}"}, separators=(",", ":")).encode()
    return OutboxEntry(RecordKind.CONTACT_RECORD, f"c{n}", f"c{n}", payload)


def numbered(entries: list[OutboxEntry], start: int = 1) -> list[OutboxRecord]:
    return [OutboxRecord(start + i, e) for i, e in enumerate(entries)]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


# --------------------------------------------------------------------------- runner


def test_backoff_doubles_from_its_initial_wait_and_stops_at_the_cap() -> None:
    backoff = Backoff(initial_s=0.5, factor=2.0, cap_s=4.0)
    assert [backoff.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.delay(10_000) == 4.0


class GatedSink:
    """Holds its first delivery until the test opens the gate."""

    name = "gated"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.batches: list[list[int]] = []

    def deliver(self, records: Sequence[OutboxRecord]) -> None:
        self.entered.set()
        assert self.gate.wait(10)
        self.batches.append([r.position for r in records])

    def close(self) -> None:
        pass


def test_stop_without_drain_finishes_the_batch_in_hand_and_leaves_the_rest() -> None:
    outbox = InMemoryOutbox()
    outbox.append([agent_event(n) for n in range(5)])
    sink = GatedSink()
    runner = SinkRunner(outbox, sink, batch_size=2)
    runner.start()
    assert sink.entered.wait(10)
    stopping = threading.Thread(target=runner.stop, kwargs={"drain": False})
    stopping.start()
    while not runner._stopping:
        time.sleep(0.001)
    sink.gate.set()
    stopping.join(10)
    assert not runner.running
    assert sink.batches == [[1, 2]]
    assert outbox.offset("gated") == 2


def test_stop_with_drain_delivers_everything_first() -> None:
    outbox = InMemoryOutbox()
    outbox.append([agent_event(n) for n in range(5)])
    sink = GatedSink()
    sink.gate.set()
    runner = SinkRunner(outbox, sink, batch_size=2, poll_s=10.0)
    runner.start()
    assert runner.stop(drain=True)
    assert sink.batches == [[1, 2], [3, 4], [5]]
    assert outbox.offset("gated") == 5


def test_a_hung_sink_never_blocks_the_appending_thread() -> None:
    outbox = InMemoryOutbox()
    sink = GatedSink()  # its gate stays shut: a destination that never answers
    runner = SinkRunner(outbox, sink, poll_s=0.001)
    runner.start()
    outbox.append([agent_event(0)])
    assert sink.entered.wait(10)
    # The sink is stuck in deliver, and appending still returns (the engine never waits on it).
    outbox.append([agent_event(n) for n in range(1, 1000)])
    runner.wake()
    assert outbox.offset("gated") == 0
    assert runner.stop(timeout_s=0.05) is False, "stop says the thread is still in deliver"
    sink.gate.set()
    assert runner.stop()
    assert outbox.offset("gated") == 1000, "once it answers, the draining stop delivers the rest"


def test_a_failing_sink_is_retried_until_it_recovers_and_commits_once() -> None:
    class FlakySink:
        name = "flaky"

        def __init__(self) -> None:
            self.calls = 0
            self.delivered: list[int] = []

        def deliver(self, records: Sequence[OutboxRecord]) -> None:
            self.calls += 1
            if self.calls <= 3:
                raise ConnectionError("destination down")
            self.delivered.extend(r.position for r in records)

        def close(self) -> None:
            pass

    outbox = InMemoryOutbox()
    outbox.append([agent_event(n) for n in range(3)])
    sink = FlakySink()
    runner = SinkRunner(outbox, sink, backoff=Backoff(initial_s=0.001, cap_s=0.002))
    runner.start()
    deadline = time.monotonic() + 10
    while outbox.offset("flaky") < 3:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert runner.stop()
    assert sink.calls == 4
    assert sink.delivered == [1, 2, 3]
    assert runner.failures == 0
    assert isinstance(runner.last_error, ConnectionError)


# --------------------------------------------------------------------------- JSONL


def test_jsonl_writes_one_file_per_kind_one_record_per_line(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path)
    sink.deliver(numbered([agent_event(1), contact_record(2), agent_event(3)]))
    sink.close()
    assert (tmp_path / "agent-events.jsonl").read_bytes() == (
        agent_event(1).payload + b"\n" + agent_event(3).payload + b"\n"
    )
    assert (tmp_path / "contact-records.jsonl").read_bytes() == contact_record(2).payload + b"\n"


def test_jsonl_rotates_a_full_file_and_keeps_the_order_readable(tmp_path: Path) -> None:
    line = len(agent_event(0).payload) + 1
    sink = JsonlSink(tmp_path, max_bytes=3 * line)
    sink.deliver(numbered([agent_event(n) for n in range(8)]))
    sink.close()
    files = stream_files(tmp_path, RecordKind.AGENT_EVENT)
    assert [p.name for p in files] == [
        "agent-events.000001.jsonl",
        "agent-events.000002.jsonl",
        "agent-events.jsonl",
    ]
    assert all(p.stat().st_size <= 3 * line for p in files)
    lines = [x for p in files for x in p.read_bytes().splitlines()]
    assert lines == [agent_event(n).payload for n in range(8)]


def test_jsonl_rotates_by_the_hour(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 26, 9, 59, 59, tzinfo=UTC))
    sink = JsonlSink(tmp_path, hourly=True, now=clock)
    sink.deliver(numbered([agent_event(1)]))
    clock.at += timedelta(seconds=1)
    sink.deliver(numbered([agent_event(2)], start=2))
    sink.close()
    assert (tmp_path / "agent-events.000001.jsonl").read_bytes() == agent_event(1).payload + b"\n"
    assert (tmp_path / "agent-events.jsonl").read_bytes() == agent_event(2).payload + b"\n"


def test_jsonl_cuts_a_torn_last_line_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "agent-events.jsonl"
    path.write_bytes(agent_event(1).payload + b"\n" + agent_event(2).payload[:9])
    sink = JsonlSink(tmp_path)
    sink.deliver(numbered([agent_event(2)], start=2))
    sink.close()
    assert path.read_bytes().splitlines() == [agent_event(1).payload, agent_event(2).payload]


def test_jsonl_firehose_layout_concatenates_records_under_the_delivery_hour(
    tmp_path: Path,
) -> None:
    clock = Clock(datetime(2026, 11, 26, 9, 59, 58, tzinfo=UTC))
    sink = JsonlSink(tmp_path, layout=Layout.FIREHOSE, prefix="connect/aes", now=clock)
    sink.deliver(numbered([agent_event(1), agent_event(2), contact_record(3)]))
    clock.at += timedelta(seconds=3)
    sink.deliver(numbered([agent_event(4)], start=4))
    sink.close()
    nine = tmp_path / "connect/aes/2026/11/26/09"
    ten = tmp_path / "connect/aes/2026/11/26/10"
    assert (nine / "agent-events-2026-11-26-09-59-58-1").read_bytes() == (
        agent_event(1).payload + agent_event(2).payload
    )
    assert (nine / "contact-records-2026-11-26-09-59-58-3").read_bytes() == (
        contact_record(3).payload
    )
    assert (ten / "agent-events-2026-11-26-10-00-01-4").read_bytes() == agent_event(4).payload


def test_jsonl_failure_raises_and_the_next_delivery_reopens(tmp_path: Path) -> None:
    blocker = tmp_path / "records"
    blocker.write_text("not a folder")
    sink = JsonlSink(blocker)
    with pytest.raises(OSError, match="records"):
        sink.deliver(numbered([agent_event(1)]))
    blocker.unlink()
    sink.deliver(numbered([agent_event(1)]))
    sink.close()
    assert (blocker / "agent-events.jsonl").read_bytes() == agent_event(1).payload + b"\n"


# --------------------------------------------------------------------------- webhook

SECRET = b"s3cret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(SECRET)
    yield made
    made.close()


def test_webhook_signs_the_exact_body_with_hmac_sha256(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    records = numbered([agent_event(1), contact_record(2)])
    sink = WebhookSink(
        "http://hooks.example/in",
        secret=SECRET,
        dead_letter=tmp_path / "dead.jsonl",
        transport=httpx.MockTransport(handler),
    )
    sink.deliver(records)
    sink.close()
    (request,) = seen
    body = request.content
    assert body == encode_batch(records)
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == expected
    items = json.loads(body)["records"]
    assert [(i["kind"], i["record_id"], i["position"]) for i in items] == [
        ("agent-event", "e1", 1),
        ("contact-record", "c2", 2),
    ]
    assert items[0]["record"] == {"AgentARN": "a0", "EventId": "e1"}


def test_webhook_retries_5xx_with_backoff_then_delivers(tmp_path: Path, receiver: Receiver) -> None:
    receiver.statuses = [503, 500]
    slept: list[float] = []
    sink = WebhookSink(
        receiver.url,
        secret=SECRET,
        dead_letter=tmp_path / "dead.jsonl",
        backoff=Backoff(initial_s=1.0, cap_s=60.0),
        sleep=slept.append,
    )
    outbox = InMemoryOutbox()
    outbox.append([agent_event(1)])
    assert SinkRunner(outbox, sink).pump_once() == 1
    sink.close()
    assert slept == [1.0, 2.0]
    assert len(receiver.bodies) == 1
    assert not (tmp_path / "dead.jsonl").exists()
    assert outbox.offset("webhook") == 1


def test_webhook_dead_letters_a_batch_after_n_failures_and_moves_on(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.always = 502
    slept: list[float] = []
    dead = tmp_path / "dead" / "webhook.jsonl"
    sink = WebhookSink(
        receiver.url,
        secret=SECRET,
        dead_letter=dead,
        max_attempts=3,
        backoff=Backoff(initial_s=0.5, cap_s=0.75),
        sleep=slept.append,
    )
    outbox = InMemoryOutbox()
    outbox.append([agent_event(1), contact_record(2)])
    runner = SinkRunner(outbox, sink)
    assert runner.pump_once() == 2
    assert slept == [0.5, 0.75]
    assert outbox.offset("webhook") == 2
    lines = [json.loads(x) for x in dead.read_bytes().splitlines()]
    assert [(x["record_id"], x["position"], x["reason"]) for x in lines] == [
        ("e1", 1, "HTTP 502"),
        ("c2", 2, "HTTP 502"),
    ]
    assert lines[1]["record"] == {"ContactId": "c2"}
    assert sink.dead_lettered == 2

    receiver.always = None
    outbox.append([agent_event(3)])
    assert runner.pump_once() == 1
    sink.close()
    assert [r["record_id"] for r in receiver.records()] == ["e3"]


def test_webhook_dead_letters_a_client_error_at_once(tmp_path: Path, receiver: Receiver) -> None:
    receiver.always = 400
    slept: list[float] = []
    sink = WebhookSink(
        receiver.url, secret=SECRET, dead_letter=tmp_path / "dead.jsonl", sleep=slept.append
    )
    sink.deliver(numbered([agent_event(1)]))
    sink.close()
    assert slept == []
    assert sink.dead_lettered == 1


def test_webhook_retries_timeouts(tmp_path: Path) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ReadTimeout("slow receiver", request=request)
        return httpx.Response(200)

    slept: list[float] = []
    sink = WebhookSink(
        "http://hooks.example/in",
        secret=SECRET,
        dead_letter=tmp_path / "dead.jsonl",
        sleep=slept.append,
        transport=httpx.MockTransport(handler),
    )
    sink.deliver(numbered([agent_event(1)]))
    sink.close()
    assert calls == 3
    assert len(slept) == 2
    assert sink.dead_lettered == 0


def test_webhook_signatures_are_checked_by_the_receiver(tmp_path: Path, receiver: Receiver) -> None:
    sink = WebhookSink(
        receiver.url,
        secret=b"wrong secret",
        dead_letter=tmp_path / "dead.jsonl",
        max_attempts=1,
    )
    sink.deliver(numbered([agent_event(1)]))
    sink.close()
    assert receiver.bad_signatures == 1
    assert receiver.bodies == []
    assert sink.dead_lettered == 1
