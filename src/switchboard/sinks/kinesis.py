"""The Kinesis sink: boto3 PutRecords to one stream per kind, partition key = AgentARN / ContactId.

Each record goes as `Data` = the Connect JSON, `PartitionKey` = the outbox key (the `AgentARN` of an
agent event, the `ContactId` of a contact record), as Amazon Connect's own streams carry them. A
batch is split into PutRecords calls of at most 500 records and 5 MiB; records a call reports as
failed (`FailedRecordCount`, a per-record `ErrorCode`) are sent again on their own, with backoff,
and if some still fail the sink raises so the runner commits nothing and retries the batch.
`endpoint_url` points the client at kinesalite, LocalStack or a VPC endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol, cast

from switchboard.engine.outbox import OutboxRecord, RecordKind

MAX_RECORDS: Final = 500
"""PutRecords takes at most 500 records per call."""
MAX_REQUEST_BYTES: Final = 5 * 1024 * 1024
"""… and at most 5 MiB per call, counting each record's data and partition key."""
MAX_RECORD_BYTES: Final = 1024 * 1024
"""One record's data and partition key together: at most 1 MiB."""
MAX_KEY_CHARS: Final = 256
"""A partition key: 1 to 256 Unicode characters."""


class KinesisClient(Protocol):
    """The one call of boto3's Kinesis client the sink uses (boto3 ships no type hints)."""

    def put_records(  # boto3's parameter names
        self,
        *,
        StreamName: str,  # noqa: N803
        Records: list[dict[str, Any]],  # noqa: N803
    ) -> Mapping[str, Any]: ...

    def close(self) -> None: ...


class KinesisDeliveryError(RuntimeError):
    """Some records of a batch were still refused after every attempt; nothing is committed."""


def _size(record: dict[str, Any]) -> int:
    return len(record["Data"]) + len(record["PartitionKey"].encode())


def chunks(entries: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive PutRecords requests: at most MAX_RECORDS records and MAX_REQUEST_BYTES each."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        entry_size = _size(entry)
        if current and (len(current) == MAX_RECORDS or size + entry_size > MAX_REQUEST_BYTES):
            out.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry_size
    if current:
        out.append(current)
    return out


def boto3_client(
    endpoint_url: str | None,
    region: str,
    *,
    access_key_id: str | None,
    secret_access_key: str | None,
    timeout_s: float,
    client_attempts: int,
) -> KinesisClient:
    """boto3's Kinesis client, typed as the narrow protocol above."""
    # Imported on use: boto3 takes a few hundred ms to import, and only this sink needs it.
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415
    from botocore.config import Config  # type: ignore[import-untyped]  # noqa: PLC0415

    config = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        retries={"max_attempts": client_attempts, "mode": "standard"},
    )
    client = boto3.client(
        "kinesis",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )
    return cast(KinesisClient, client)


class KinesisSink:
    def __init__(
        self,
        stream_agent_events: str,
        stream_contact_records: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        *,
        name: str = "kinesis",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        timeout_s: float = 10.0,
        client_attempts: int = 3,
        max_attempts: int = 5,
        backoff_s: float = 0.1,
        client: KinesisClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`client_attempts` is botocore's own retrying of a whole call (throttling, 5xx,
        connection errors); `max_attempts` is how often records refused inside a successful call
        are sent, with `backoff_s` doubling between attempts. Without keys boto3 finds credentials
        as it always does (environment, profile, instance role)."""
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        self._name = name
        self._streams = {
            RecordKind.AGENT_EVENT: stream_agent_events,
            RecordKind.CONTACT_RECORD: stream_contact_records,
        }
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._client = client or boto3_client(
            endpoint_url,
            region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            timeout_s=timeout_s,
            client_attempts=client_attempts,
        )
        self.resent = 0
        """Records sent again after PutRecords refused them (throttled, internal failure)."""

    @property
    def name(self) -> str:
        return self._name

    def stream_name(self, kind: RecordKind) -> str:
        return self._streams[kind]

    def deliver(self, records: Sequence[OutboxRecord]) -> None:
        by_stream: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            entry = record.entry
            item = {"Data": entry.payload, "PartitionKey": entry.key}
            if not 1 <= len(entry.key) <= MAX_KEY_CHARS:
                raise ValueError(f"partition key of record {entry.record_id} is not 1-256 chars")
            if _size(item) > MAX_RECORD_BYTES:
                raise ValueError(f"record {entry.record_id} is over Kinesis's 1 MiB limit")
            by_stream.setdefault(self._streams[entry.kind], []).append(item)
        for stream, items in by_stream.items():
            for chunk in chunks(items):
                self._put(stream, chunk)

    def _put(self, stream: str, items: list[dict[str, Any]]) -> None:
        """Send `items`, then only those refused, until all are in or attempts run out."""
        pending = items
        for attempt in range(1, self._max_attempts + 1):
            response = self._client.put_records(StreamName=stream, Records=pending)
            if not response.get("FailedRecordCount"):
                return
            results: list[Mapping[str, Any]] = response["Records"]
            failed = [
                (item, result)
                for item, result in zip(pending, results, strict=True)
                if result.get("ErrorCode")
            ]
            if attempt == self._max_attempts:
                codes = sorted({str(result["ErrorCode"]) for _, result in failed})
                raise KinesisDeliveryError(
                    f"{len(failed)} of {len(items)} records to stream {stream!r} refused "
                    f"after {attempt} attempts ({', '.join(codes)})"
                )
            pending = [item for item, _ in failed]
            self.resent += len(pending)
            self._sleep(self._backoff_s * 2 ** (attempt - 1))

    def close(self) -> None:
        self._client.close()
