"""The HTTP webhook sink: signed POSTs of record batches, retried, then dead-lettered.

Body: `{"records": [{"kind", "key", "record_id", "position", "record": <Connect JSON>}, …]}`, with
`X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the body under the sink's secret>`. A 5xx,
408, 429, timeout or connection error is retried with backoff; after `max_attempts` (or at once on
any other 4xx, which no retry can fix) the batch is appended to the dead-letter JSONL file and
counts as delivered, so the offset moves on. If the dead letter cannot be written, nothing is
committed and the runner tries again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import orjson

from switchboard.engine.outbox import OutboxRecord
from switchboard.sinks.runner import Backoff

SIGNATURE_HEADER = "X-Switchboard-Signature"
RETRYABLE = frozenset({408, 429})


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for `body`."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str) -> bool:
    """What a receiver does: compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header)


def encode_batch(records: Sequence[OutboxRecord]) -> bytes:
    return orjson.dumps({"records": [_item(record) for record in records]})


def _item(record: OutboxRecord) -> dict[str, object]:
    entry = record.entry
    return {
        "kind": entry.kind,  # a StrEnum: orjson writes its value
        "key": entry.key,
        "record_id": entry.record_id,
        "position": record.position,
        "record": orjson.Fragment(entry.payload),
    }


class WebhookSink:
    def __init__(
        self,
        url: str,
        *,
        secret: bytes,
        dead_letter: Path,
        name: str = "webhook",
        max_attempts: int = 5,
        backoff: Backoff | None = None,
        timeout_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        self._name = name
        self._url = url
        self._secret = secret
        self._dead_letter = dead_letter
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff(initial_s=0.5, cap_s=30.0)
        self._sleep = sleep
        self._client = httpx.Client(timeout=timeout_s, transport=transport)
        self.dead_lettered = 0
        """Records written to the dead-letter file by this sink."""

    @property
    def name(self) -> str:
        return self._name

    def deliver(self, records: Sequence[OutboxRecord]) -> None:
        body = encode_batch(records)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, body),
        }
        reason = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._client.post(self._url, content=body, headers=headers)
            except httpx.TransportError as error:  # timeouts, refused and reset connections
                reason = f"{type(error).__name__}: {error}"
            else:
                status = response.status_code
                if status < 300:
                    return
                reason = f"HTTP {status}"
                if status < 500 and status not in RETRYABLE:
                    break
            if attempt < self._max_attempts:
                self._sleep(self._backoff.delay(attempt))
        self._write_dead_letter(records, reason)

    def close(self) -> None:
        self._client.close()

    def _write_dead_letter(self, records: Sequence[OutboxRecord], reason: str) -> None:
        lines = b"".join(
            orjson.dumps({"sink": self._name, "url": self._url, "reason": reason, **_item(r)})
            + b"\n"
            for r in records
        )
        self._dead_letter.parent.mkdir(parents=True, exist_ok=True)
        with self._dead_letter.open("ab") as file:
            file.write(lines)
            file.flush()
            os.fsync(file.fileno())
        self.dead_lettered += len(records)
