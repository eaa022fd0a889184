"""The NATS JetStream sink: one subject per kind, `Nats-Msg-Id` = record_id so JetStream dedupes.

Subjects are `<prefix>.agent-events` and `<prefix>.contact-records`, captured by one stream
(created with `<prefix>.>` if missing). A batch is published without waiting between messages
(publish_async, written to the connection in order) and delivered once every ack is in. nats-py is
asyncio-only: the sink keeps a private event loop, run from the runner's thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from switchboard.engine.outbox import OutboxRecord, RecordKind
from switchboard.sinks.base import STREAM_NAMES


class JetStreamSink:
    def __init__(
        self,
        *,
        servers: str = "nats://127.0.0.1:4222",
        stream: str = "SWITCHBOARD",
        subject_prefix: str = "switchboard",
        name: str = "nats",
        timeout_s: float = 5.0,
        duplicate_window_s: float = 120.0,
    ) -> None:
        self._name = name
        self._servers = servers
        self._stream = stream
        self._prefix = subject_prefix
        self._subjects = {kind: f"{subject_prefix}.{stem}" for kind, stem in STREAM_NAMES.items()}
        self._timeout_s = timeout_s
        self._duplicate_window_s = duplicate_window_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    @property
    def name(self) -> str:
        return self._name

    def subject(self, kind: RecordKind) -> str:
        return self._subjects[kind]

    def deliver(self, records: Sequence[OutboxRecord]) -> None:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._deliver(records))
        except BaseException:
            # Start from a fresh connection next time rather than trust a broken one.
            self._loop.run_until_complete(self._disconnect())
            raise

    def close(self) -> None:
        if self._loop is None:
            return
        self._loop.run_until_complete(self._disconnect())
        self._loop.close()
        self._loop = None

    async def _deliver(self, records: Sequence[OutboxRecord]) -> None:
        js = await self._jetstream()
        acks = []
        for record in records:
            entry = record.entry
            acks.append(
                await js.publish_async(
                    self._subjects[entry.kind],
                    entry.payload,
                    # No wait_stall: with one, every publish pays for a task (asyncio.wait_for);
                    # the client's 4,000 in-flight limit only pauses us while acks come in.
                    headers={"Nats-Msg-Id": entry.record_id},
                )
            )
        await asyncio.wait_for(asyncio.gather(*acks), self._timeout_s)

    async def _jetstream(self) -> JetStreamContext:
        if self._js is not None and self._nc is not None and self._nc.is_connected:
            return self._js
        await self._disconnect()
        # Fail fast: the runner owns retrying (with its backoff), not the client's reconnect loop,
        # whose defaults try each server 60 times, 2 s apart, before giving up.
        self._nc = await asyncio.wait_for(
            nats.connect(
                self._servers,
                connect_timeout=self._timeout_s,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.0,
                error_cb=_ignore,
            ),
            self._timeout_s,
        )
        self._js = self._nc.jetstream(timeout=self._timeout_s)
        try:
            await self._js.stream_info(self._stream)
        except NotFoundError:
            await self._js.add_stream(
                name=self._stream,
                subjects=[f"{self._prefix}.>"],
                duplicate_window=self._duplicate_window_s,
            )
        return self._js

    async def _disconnect(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            await nc.close()


async def _ignore(error: Exception) -> None:
    """nats-py reports connection errors here as well as raising them; the raise is what counts."""
