"""The Redis Streams sink: XADD to one stream per kind, fields key, record_id and payload.

A batch goes in one pipeline (no MULTI: a failure part-way is a redelivery, which consumers
dedupe on `record_id`). Stream keys are `<prefix>:agent-events` and `<prefix>:contact-records`.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from switchboard.engine.outbox import OutboxRecord, RecordKind
from switchboard.sinks.base import STREAM_NAMES


class RedisStreamsSink:
    def __init__(
        self,
        *,
        url: str = "redis://127.0.0.1:6379/0",
        prefix: str = "switchboard",
        name: str = "redis",
        maxlen: int | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self._name = name
        self._keys = {kind: f"{prefix}:{stem}" for kind, stem in STREAM_NAMES.items()}
        self._maxlen = maxlen
        self._client: redis.Redis = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )

    @property
    def name(self) -> str:
        return self._name

    def stream_key(self, kind: RecordKind) -> str:
        return self._keys[kind]

    def deliver(self, records: Sequence[OutboxRecord]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for record in records:
            entry = record.entry
            pipe.xadd(
                self._keys[entry.kind],
                {"key": entry.key, "record_id": entry.record_id, "payload": entry.payload},
                maxlen=self._maxlen,
                approximate=True,
            )
        pipe.execute()

    def close(self) -> None:
        self._client.close()
