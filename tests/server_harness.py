"""A live `switchboard serve` for tests: the real app, a real store, uvicorn on a free port.

`LiveServer.start(tmp_path)` builds what `switchboard serve --db <tmp>/switchboard.db` builds
(Server over SQLite, `build_app`, an admin access key as `keys create --role admin` makes) and
runs it in a thread; `seed_instance` creates a small contact center through boto3, as an admin
would. Stop it with `stop()` (graceful: sinks drain, snapshot written) and `start` again on the
same folder to test a restart.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
import uvicorn
from botocore.config import Config
from fastapi import APIRouter

from switchboard.api.app import build_app
from switchboard.api.auth import SERVER_ADMIN, Role
from switchboard.api.server import Server
from switchboard.api.session import COOKIE, CSRF_HEADER
from switchboard.domain.commands import Command
from switchboard.domain.events import Event
from switchboard.engine.clock import Clock, SystemClock
from switchboard.sinks.config import SinkSpec
from switchboard.storage.backend import open_backend

REGION = "us-east-1"
MASTER_KEY = "m0W0rQ8mE6d0j1P2X8v1Y3l9cZ1v7dH2kFq3nR5tU6w="  # a test-only Fernet key
PASSWORD = "Passw0rd!"
T = TypeVar("T")


@dataclass
class Seeded:
    """What `seed_instance` made: ids by name."""

    instance_id: str
    statuses: dict[str, str]
    queues: dict[str, str]
    profiles: dict[str, str]
    users: dict[str, str]
    security_profiles: dict[str, str]


@dataclass
class LiveServer:
    folder: Path
    url: str
    server: Server
    key_id: str
    secret: str
    _uvicorn: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @classmethod
    def start(
        cls,
        folder: Path,
        *,
        db: str | None = None,
        clock: Clock | None = None,
        routers: Sequence[Callable[[Server], APIRouter]] = (),
        key: tuple[str, str] | None = None,
        snapshot_every: int = 50_000,
        sinks: Mapping[str, list[SinkSpec]] | None = None,
        schema: str = "switchboard",
    ) -> LiveServer:
        """Serve `folder/switchboard.db` (or `db`, e.g. a postgresql:// URL) on a free port."""
        environ = {"SWITCHBOARD_SECRET_KEY": MASTER_KEY}
        backend = open_backend(db or str(folder / "switchboard.db"), schema=schema)
        server = Server(
            backend,
            clock=clock or SystemClock(),
            region=REGION,
            environ=environ,
            snapshot_every=snapshot_every,
            sinks=sinks,
        )
        server.open()
        if key is None:
            made = server.accounts.create_key(
                username=SERVER_ADMIN, instance_id=None, user_id=None, roles=[Role.ADMIN]
            )
            key = (made.access_key_id, made.secret_access_key)
        app = build_app(server, routers=list(routers))
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        uv = uvicorn.Server(config)
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not uv.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        while server.loop is None:  # the lifespan has started the timers
            time.sleep(0.01)
        port = uv.servers[0].sockets[0].getsockname()[1]
        return cls(folder, f"http://127.0.0.1:{port}", server, key[0], key[1], uv, thread)

    def stop(self) -> None:
        self._uvicorn.should_exit = True
        self._thread.join(timeout=30)

    def restart(self, **kwargs: Any) -> LiveServer:
        """Stop, then serve the same database again with the same admin key (and schema)."""
        self.stop()
        kwargs.setdefault("schema", self.server.backend.schema)
        return LiveServer.start(self.folder, key=(self.key_id, self.secret), **kwargs)

    def on_loop(self, action: Callable[[], T]) -> T:
        """Run `action` on the server's event loop (where the engines live), then make what it
        did durable, as a request would; its result."""
        assert self.server.loop is not None

        async def run() -> T:
            result = action()
            self.server.poke()
            await self.server.flush()
            return result

        return asyncio.run_coroutine_threadsafe(run(), self.server.loop).result(timeout=30)

    def execute(self, instance_id: str, command: Command) -> list[Event]:
        """One engine command on the server's loop, made durable."""
        instance = self.server.registry.get(instance_id)
        assert instance is not None, instance_id
        return self.on_loop(lambda: instance.engine.execute(command))

    # --- clients -----------------------------------------------------------------------------

    def connect(self, key_id: str | None = None, secret: str | None = None) -> Any:
        """boto3's Connect client, signed with the admin key unless another is given."""
        return boto3.client(
            "connect",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=key_id or self.key_id,
            aws_secret_access_key=secret or self.secret,
            config=Config(retries={"max_attempts": 1}),
        )

    def browser(self, instance_id: str, username: str, password: str = PASSWORD) -> httpx.Client:
        """An HTTP client signed in as `username` (session cookie; CSRF header set)."""
        client = httpx.Client(base_url=self.url, timeout=10)
        answer = client.post(
            "/switchboard/login",
            json={"InstanceId": instance_id, "Username": username, "Password": password},
        )
        answer.raise_for_status()
        assert COOKIE in client.cookies
        client.headers[CSRF_HEADER] = answer.json()["CsrfToken"]
        return client

    # --- a small contact center --------------------------------------------------------------

    def seed_instance(
        self,
        alias: str = "test",
        *,
        agents: Sequence[str] = ("alice", "bob"),
        supervisors: Sequence[str] = ("sam",),
        channels: dict[str, int] | None = None,
    ) -> Seeded:
        """An instance with Break/Training statuses, queue Sales, profile Sales and users."""
        client = self.connect()
        instance_id = client.create_instance(
            IdentityManagementType="CONNECT_MANAGED",
            InstanceAlias=alias,
            InboundCallsEnabled=True,
            OutboundCallsEnabled=True,
        )["Id"]
        for name in ("Break", "Training"):
            client.create_agent_status(
                InstanceId=instance_id, Name=name, State="ENABLED", DisplayOrder=3
            )
        statuses = {
            s["Name"]: s["Id"]
            for s in client.list_agent_statuses(InstanceId=instance_id)["AgentStatusSummaryList"]
        }
        hours = client.list_hours_of_operations(InstanceId=instance_id)
        queue_id = client.create_queue(
            InstanceId=instance_id,
            Name="Sales",
            HoursOfOperationId=hours["HoursOfOperationSummaryList"][0]["Id"],
        )["QueueId"]
        concurrency = channels or {"VOICE": 1, "CHAT": 2, "TASK": 1}
        profile_id = client.create_routing_profile(
            InstanceId=instance_id,
            Name="Sales",
            Description="Sales agents",
            DefaultOutboundQueueId=queue_id,
            MediaConcurrencies=[{"Channel": c, "Concurrency": n} for c, n in concurrency.items()],
            QueueConfigs=[
                {"QueueReference": {"QueueId": queue_id, "Channel": c}, "Priority": 1, "Delay": 0}
                for c in concurrency
            ],
        )["RoutingProfileId"]
        security = {
            p["Name"]: p["Id"]
            for p in client.list_security_profiles(InstanceId=instance_id)[
                "SecurityProfileSummaryList"
            ]
        }
        users = {}
        for username in [*agents, *supervisors]:
            profile = "Agent" if username in agents else "CallCenterManager"
            users[username] = client.create_user(
                InstanceId=instance_id,
                Username=username,
                Password=PASSWORD,
                IdentityInfo={"FirstName": username.title(), "LastName": "Tester"},
                PhoneConfig={"PhoneType": "SOFT_PHONE"},
                SecurityProfileIds=[security[profile]],
                RoutingProfileId=profile_id,
            )["UserId"]
        return Seeded(
            instance_id=instance_id,
            statuses=statuses,
            queues={"Sales": queue_id},
            profiles={"Sales": profile_id},
            users=users,
            security_profiles=security,
        )
