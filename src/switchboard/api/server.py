"""The durable server: instances on stores, group commit before every answer, timers, snapshots.

`Server` is the composition root's core (the CLI's `serve` builds one and an app around it). Each
instance's engine writes to a `PendingLog` over its store; `flush` writes everything executed so
far in one transaction per instance (group commit: requests that arrive while a write is in flight
share the next one). The ASGI middleware `DurableResponses` holds every HTTP answer until `flush`
has returned, so nothing is acknowledged before it is on disk (DESIGN §8). Deadlines and
heartbeats fire from `run_timers` on the real clock; snapshots are taken when the engine's state is
exactly the durable log, every `snapshot_every` events and at shutdown.

Everything that touches an engine runs on the event loop: one writer per instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.api.auth import Accounts, secret_box
from switchboard.api.history import DurableHistory
from switchboard.api.registry import CONFIGURATION_EVENTS, Instance, InstanceRegistry
from switchboard.domain import events as ev
from switchboard.engine.clock import Clock
from switchboard.engine.engine import Engine
from switchboard.engine.ids import IdSource
from switchboard.sinks.config import SinkSpec
from switchboard.sinks.runner import SinkRunner
from switchboard.storage.backend import Backend
from switchboard.storage.pending import PendingLog, publish_to_outbox
from switchboard.storage.store import Batch, SqlStore, open_engine, snapshot_engine

__all__ = ["DurableResponses", "Server", "ServerFailed"]

log = logging.getLogger("switchboard.server")

_TIMER_MAX_SLEEP_S = 0.25
"""The longest the timer loop sleeps without looking (a request that adds an earlier deadline
wakes it at once anyway)."""


class ServerFailed(Exception):
    """A durable write failed: the engines are ahead of their logs, so the server must restart."""


@dataclass(slots=True)
class _Durable:
    """One instance's storage: its store, the engine's pending log, its sinks."""

    store: SqlStore
    log: PendingLog
    runners: list[SinkRunner] = field(default_factory=list)
    changed: bool = False
    """Configuration changed since the instance's catalog document was last saved."""
    snapshot_seq: int = 0


class Server:
    """Every instance of one server, durable in `backend` (see the module doc)."""

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Clock,
        region: str = "us-east-1",
        account: str = "111122223333",
        environ: Mapping[str, str] = os.environ,
        sinks: Mapping[str, list[SinkSpec]] | None = None,
        snapshot_every: int = 50_000,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.sinks = dict(sinks or {})
        self.accounts = Accounts(backend.catalog, secret_box(backend, environ))
        self.registry = InstanceRegistry(account=account, region=region, engines=self._new_engine)
        self._durable: dict[str, _Durable] = {}
        self._sinks_started = False
        self._commit_lock = asyncio.Lock()
        self._writes_started = 0
        self._writes_done = 0
        """Group commit: a caller needs the first write that starts after it arrived; when it
        gets the lock, a write that started meanwhile may already have carried its commands."""
        self._wake = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        """The event loop that owns the engines (set when the timers start)."""
        self.failure: BaseException | None = None
        self.on_failure: Callable[[BaseException], None] = lambda _: None
        self.listeners: list[Callable[[], None]] = []
        """Called after each flush that wrote something (live push wakes on it)."""
        self.background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        """Coroutines the app's lifespan runs as tasks on the event loop beside the timers, and
        cancels at shutdown (the `--demo` simulation); they call `poke()` after each command."""

    # --- instances ---------------------------------------------------------------------------

    def _new_engine(self, instance_id: str, clock: Clock, ids: IdSource) -> Engine:
        store = self.backend.open_store(instance_id)
        engine = Engine(clock=clock, ids=ids, log=store)
        self._make_durable(instance_id, store, engine)
        return engine

    def _make_durable(self, instance_id: str, store: SqlStore, engine: Engine) -> None:
        pending = PendingLog(store)
        engine.log = pending
        durable = _Durable(store=store, log=pending, snapshot_seq=pending.durable_seq)

        def on_event(event: ev.Event) -> None:
            if isinstance(event, CONFIGURATION_EVENTS):
                durable.changed = True
            if isinstance(event, ev.InstanceCreated):
                publish_to_outbox(engine, pending, event.settings)

        engine.on_event(on_event)
        self._durable[instance_id] = durable

    def open(self) -> None:
        """Reopen every instance the catalog knows: latest snapshot plus the log's tail."""
        for instance_id, document in self.backend.catalog.items("instance"):
            store = self.backend.open_store(instance_id)
            latest = store.latest_snapshot()
            ids = IdSource(
                f"arn:aws:connect:{document['region']}:{document['account']}:instance/{instance_id}"
            )
            engine = open_engine(store, self.clock, ids)
            self._make_durable(instance_id, store, engine)
            publish_to_outbox(engine, self._durable[instance_id].log, engine.state.settings)
            instance = self.registry.adopt(
                engine,
                alias=document["alias"],
                created_at=document["created_at"],
                identity_management_type=document["identity_management_type"],
                inbound_calls=document["inbound_calls"],
                outbound_calls=document["outbound_calls"],
                history=DurableHistory(engine, store.outbox, upto=store.last_position),
            )
            instance.load_document(document)
            self._durable[instance_id].snapshot_seq = latest[0] if latest else 0
            log.info(
                "instance %s (%s) reopened at event %d",
                instance.alias,
                instance_id,
                self._durable[instance_id].log.durable_seq,
            )
        # Deadlines that fell while the server was down fire now, in order (DESIGN §3.13).
        now = self.clock.now()
        for instance in self.registry:
            instance.engine.fire_due(now)

    def start_sinks(self) -> None:
        """Start the configured sinks of every instance (each on its own thread), and from now
        on those of each instance created later (at its first durable write)."""
        self._sinks_started = True
        for instance in self.registry:
            self._start_sinks(instance)

    def _start_sinks(self, instance: Instance) -> None:
        durable = self._durable[instance.id]
        if durable.runners:
            return
        for spec in [*self.sinks.get("*", []), *self.sinks.get(instance.alias, [])]:
            runner = SinkRunner(durable.store.outbox, spec(instance.alias))
            runner.start()
            durable.runners.append(runner)

    # --- durability --------------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        return any(not d.log.idle for d in self._durable.values())

    async def flush(self) -> None:
        """Return once everything executed so far is durable (group commit; see module doc)."""
        if self.failure is not None:
            raise ServerFailed("the server stopped writing after an error") from self.failure
        if not self.pending:
            return
        needed = self._writes_started + 1
        async with self._commit_lock:
            if self.failure is not None:
                raise ServerFailed("the server stopped writing after an error") from self.failure
            if self._writes_done >= needed:
                return  # another caller's write took our commands with its own
            self._writes_started += 1
            work: list[tuple[_Durable, list[Batch], tuple[str, dict[str, Any]] | None]] = []
            for instance in self.registry:
                durable = self._durable[instance.id]
                batches = durable.log.take()
                document = None
                if durable.changed:
                    durable.changed = False
                    document = instance.to_document()
                if batches or document is not None:
                    work.append((durable, batches, (instance.id, document) if document else None))
            if not work:
                self._writes_done = self._writes_started
                return
            try:
                await asyncio.to_thread(self._write, work)
            except BaseException as error:
                self.failure = error
                log.critical("a durable write failed; the server must restart: %r", error)
                self.on_failure(error)
                raise ServerFailed("a durable write failed; restart the server") from error
            self._writes_done = self._writes_started
            for durable, _, named_document in work:
                durable.log.written()
                if named_document is not None and self._sinks_started:
                    created = self.registry.get(named_document[0])
                    if created is not None:
                        self._start_sinks(created)  # a new instance: none of its sinks run yet
                if durable.runners:
                    for runner in durable.runners:
                        runner.wake()
            for listener in self.listeners:
                listener()
        self._maybe_snapshot()

    def _write(
        self, work: list[tuple[_Durable, list[Batch], tuple[str, dict[str, Any]] | None]]
    ) -> None:
        for durable, batches, named_document in work:
            if batches:
                durable.store.append_batches(batches)
            if named_document is not None:
                instance_id, document = named_document
                self.backend.catalog.put("instance", instance_id, document)

    def _maybe_snapshot(self, *, force: bool = False) -> None:
        for instance in self.registry:
            durable = self._durable[instance.id]
            seq = durable.log.durable_seq
            if not durable.log.idle or seq <= durable.snapshot_seq:
                continue
            if force or seq - durable.snapshot_seq >= self.snapshot_every:
                # The image is taken now, while state == the durable log; the write may wait.
                durable.store.save_snapshot(seq, snapshot_engine(instance.engine))
                durable.snapshot_seq = seq

    # --- time --------------------------------------------------------------------------------

    def poke(self) -> None:
        """A request ran: deadlines may have changed, look again."""
        self._wake.set()

    async def run_timers(self) -> None:
        """Fire deadlines and heartbeats on the real clock until cancelled."""
        self.loop = asyncio.get_running_loop()
        while True:
            now = self.clock.now()
            soonest: int | None = None
            for instance in self.registry:
                engine = instance.engine
                engine.fire_due(now)
                due = engine.next_due()
                if due is not None and (soonest is None or due < soonest):
                    soonest = due
            try:
                await self.flush()
            except ServerFailed:
                return
            delay = _TIMER_MAX_SLEEP_S
            if soonest is not None:
                delay = min(delay, max(0.0, (soonest - self.clock.now()) / 1000))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    # --- lifetime ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Write what is pending, snapshot, stop the sinks (after they drain) and the stores."""
        if self.failure is None:
            with contextlib.suppress(ServerFailed):
                await self.flush()
                self._maybe_snapshot(force=True)
        for durable in self._durable.values():
            for runner in durable.runners:
                await asyncio.to_thread(runner.stop)
            durable.store.close()
        self.backend.close()

    def durable(self, instance_id: str) -> _Durable:
        return self._durable[instance_id]


class DurableResponses:
    """ASGI middleware: no HTTP answer starts before `server.flush()` has made it durable."""

    def __init__(self, app: ASGIApp, server: Server) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = self.server
        failed = False

        async def durable_send(message: Message) -> None:
            nonlocal failed
            if failed:
                return
            if message["type"] == "http.response.start":
                server.poke()
                try:
                    await server.flush()
                except ServerFailed:
                    failed = True
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 503,
                            "headers": [
                                (b"content-type", b"application/json"),
                                (b"x-amzn-errortype", b"ServiceUnavailableException"),
                            ],
                        }
                    )
                    await send(
                        {
                            "type": "http.response.body",
                            "body": b'{"message":"The server cannot write its log and must be '
                            b'restarted; this request was not applied"}',
                        }
                    )
                    return
            await send(message)

        await self.app(scope, receive, durable_send)
