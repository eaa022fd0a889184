"""The Kinesis sink against a scripted fake client: batching limits and partial-failure retries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from switchboard.engine.outbox import InMemoryOutbox, OutboxEntry, OutboxRecord, RecordKind
from switchboard.sinks import SinkRunner
from switchboard.sinks.kinesis import (
    MAX_RECORDS,
    MAX_REQUEST_BYTES,
    KinesisDeliveryError,
    KinesisSink,
)


class FakeKinesis:
    """Answers PutRecords as Kinesis does, refusing the records whose Data `refuse` names.

    `refuse` maps a record's Data to how many more times it is refused (then it is accepted).
    """

    def __init__(self, refuse: Mapping[bytes, int] | None = None) -> None:
        self.refuse = dict(refuse or {})
        self.calls: list[tuple[str, list[bytes]]] = []
        self.stored: dict[str, list[tuple[str, bytes]]] = {}
        self.closed = False

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> Mapping[str, Any]:  # noqa: N803
        self.calls.append((StreamName, [r["Data"] for r in Records]))
        results: list[dict[str, Any]] = []
        for n, record in enumerate(Records):
            if self.refuse.get(record["Data"], 0) > 0:
                self.refuse[record["Data"]] -= 1
                results.append(
                    {
                        "ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": "Rate exceeded for shard shardId-000000000000",
                    }
                )
            else:
                self.stored.setdefault(StreamName, []).append(
                    (record["PartitionKey"], record["Data"])
                )
                results.append({"SequenceNumber": str(n), "ShardId": "shardId-000000000000"})
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedRecordCount": failed, "Records": results}

    def close(self) -> None:
        self.closed = True


def agent_event(n: int, agent: str = "a0", size: int = 0) -> OutboxEntry:
    arn = f"arn:aws:connect:us-east-1:1:instance/i/agent/{agent}"
    return OutboxEntry(RecordKind.AGENT_EVENT, arn, f"e{n}", f"agent-{n}".encode() + b" " * size)


def contact_record(n: int) -> OutboxEntry:
    return OutboxEntry(RecordKind.CONTACT_RECORD, f"c{n}", f"c{n}", f"contact-{n}".encode())


def records(entries: list[OutboxEntry]) -> list[OutboxRecord]:
    return [OutboxRecord(n + 1, e) for n, e in enumerate(entries)]


def sink(fake: FakeKinesis, **kwargs: Any) -> tuple[KinesisSink, list[float]]:
    waits: list[float] = []
    made = KinesisSink("aes", "ctr", client=fake, sleep=waits.append, backoff_s=0.1, **kwargs)
    return made, waits


def test_each_kind_goes_to_its_stream_with_its_partition_key() -> None:
    fake = FakeKinesis()
    kinesis, _ = sink(fake)
    kinesis.deliver(records([agent_event(0), contact_record(1), agent_event(2, "a1")]))
    arn = "arn:aws:connect:us-east-1:1:instance/i/agent/"
    assert fake.stored == {
        "aes": [(f"{arn}a0", b"agent-0"), (f"{arn}a1", b"agent-2")],
        "ctr": [("c1", b"contact-1")],
    }


def test_only_the_records_that_failed_are_sent_again() -> None:
    fake = FakeKinesis(refuse={b"agent-1": 1, b"agent-3": 2})
    kinesis, waits = sink(fake)
    kinesis.deliver(records([agent_event(n) for n in range(5)]))

    assert fake.calls == [
        ("aes", [b"agent-0", b"agent-1", b"agent-2", b"agent-3", b"agent-4"]),
        ("aes", [b"agent-1", b"agent-3"]),
        ("aes", [b"agent-3"]),
    ]
    assert sorted(data for _, data in fake.stored["aes"]) == [b"agent-%d" % n for n in range(5)]
    assert kinesis.resent == 3
    assert waits == [0.1, 0.2], "backoff doubles between attempts"


def test_records_still_refused_after_every_attempt_raise_and_nothing_is_committed() -> None:
    fake = FakeKinesis(refuse={b"agent-2": 99})
    kinesis, waits = sink(fake, max_attempts=3)
    outbox = InMemoryOutbox()
    outbox.append([agent_event(n) for n in range(4)])
    runner = SinkRunner(outbox, kinesis, batch_size=10)

    with pytest.raises(KinesisDeliveryError, match=r"1 of 4 .* after 3 attempts .*Throughput"):
        runner.pump_once()
    assert outbox.offset("kinesis") == 0
    assert [len(data) for _, data in fake.calls] == [4, 1, 1]
    assert len(waits) == 2

    fake.refuse.clear()  # the stream recovers: the runner's next try sends the batch again
    assert runner.pump_once() == 4
    assert outbox.offset("kinesis") == 4


def test_a_call_that_raises_propagates_so_the_runner_retries() -> None:
    class Down(FakeKinesis):
        def put_records(
            self,
            *,
            StreamName: str,  # noqa: N803 - boto3's names
            Records: list[dict[str, Any]],  # noqa: N803
        ) -> Mapping[str, Any]:
            raise ConnectionError("endpoint unreachable")

    outbox = InMemoryOutbox()
    outbox.append([agent_event(0)])
    runner = SinkRunner(outbox, sink(Down())[0])
    with pytest.raises(ConnectionError):
        runner.pump_once()
    assert outbox.offset("kinesis") == 0


def test_batches_are_split_at_500_records() -> None:
    fake = FakeKinesis()
    kinesis, _ = sink(fake)
    kinesis.deliver(records([agent_event(n) for n in range(1201)]))
    assert [len(data) for _, data in fake.calls] == [MAX_RECORDS, MAX_RECORDS, 201]
    assert [data for _, data in fake.stored["aes"]] == [b"agent-%d" % n for n in range(1201)]


def test_batches_are_split_at_5_mib() -> None:
    fake = FakeKinesis()
    kinesis, _ = sink(fake)
    big = 1024 * 1000  # under 1 MiB with its key: five fit in one request, not six
    kinesis.deliver(records([agent_event(n, size=big) for n in range(12)]))
    sizes = [len(data) for _, data in fake.calls]
    assert sizes == [5, 5, 2]
    for _, sent in fake.calls:
        key = len(agent_event(0).key)
        assert sum(len(d) + key for d in sent) <= MAX_REQUEST_BYTES


def test_a_record_over_1_mib_is_refused_before_anything_is_sent() -> None:
    fake = FakeKinesis()
    kinesis, _ = sink(fake)
    with pytest.raises(ValueError, match="1 MiB"):
        kinesis.deliver(records([agent_event(0), agent_event(1, size=1024 * 1024)]))
    assert fake.calls == []


def test_close_closes_the_client() -> None:
    fake = FakeKinesis()
    sink(fake)[0].close()
    assert fake.closed
