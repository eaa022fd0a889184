"""PutUserStatus's lean path answers exactly as its FastAPI route does, refusals included."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from switchboard.api.app import ConnectFirst, build_app
from switchboard.api.auth import SERVER_ADMIN, Role
from switchboard.api.server import DurableResponses, Server
from switchboard.domain import commands as cmd
from switchboard.domain.model import AgentId, Channel, ProfileQueue, QueueId, RoutingProfileId
from switchboard.engine.clock import SystemClock
from switchboard.storage.backend import open_backend
from tests.server_harness import MASTER_KEY, REGION


def test_the_lean_path_and_the_route_give_the_same_answers(tmp_path: Path) -> None:
    server = Server(
        open_backend(str(tmp_path / "switchboard.db")),
        clock=SystemClock(),
        environ={"SWITCHBOARD_SECRET_KEY": MASTER_KEY},
        region=REGION,
    )
    key = server.accounts.create_key(
        username=SERVER_ADMIN, instance_id=None, user_id=None, roles=[Role.ADMIN]
    )
    instance = server.registry.create(alias="lean", clock=server.clock, at=server.clock.now())
    engine = instance.engine
    engine.execute(cmd.CreateQueue(queue_id=QueueId("q"), name="Sales"))
    engine.execute(
        cmd.CreateRoutingProfile(
            profile_id=RoutingProfileId("p"),
            name="Sales",
            concurrency=((Channel.VOICE, 1),),
            queues=(ProfileQueue(queue_id=QueueId("q"), channel=Channel.VOICE),),
        )
    )
    engine.execute(
        cmd.CreateUser(
            agent_id=AgentId("u1"),
            username="alice",
            first_name="A",
            last_name="B",
            profile_id=RoutingProfileId("p"),
        )
    )
    statuses = {s.name: s.id for s in engine.state.statuses.values()}
    whole = build_app(server)
    first = whole.app.app  # type: ignore[attr-defined]  # BodyLimit(DurableResponses(...))
    assert isinstance(whole.app, DurableResponses)  # type: ignore[attr-defined]
    assert isinstance(first, ConnectFirst)
    routed = DurableResponses(first.connect, server)  # the FastAPI route, durable the same way

    def request(path: str, body: bytes, secret: str = key.secret_access_key) -> httpx.Request:
        aws = AWSRequest(method="PUT", url=f"http://testserver{path}", data=body)
        SigV4Auth(Credentials(key.access_key_id, secret), "connect", REGION).add_auth(aws)
        return httpx.Request(
            "PUT", f"http://testserver{path}", headers=dict(aws.headers), content=body
        )

    good = f"/users/{instance.id}/u1/status"
    cases = [
        (good, b'{"AgentStatusId": "%s"}' % statuses["Available"].encode()),
        (good, b'{"AgentStatusId": "%s"}' % statuses["Offline"].encode()),
        (good, b'{"AgentStatusId": "nope"}'),
        (good, b'{"AgentStatusId": 7}'),
        (good, b"{}"),
        (good, b"{not json"),
        (f"/users/{instance.id}/nobody/status", b'{"AgentStatusId": "x"}'),
        ("/users/no-such-instance/u1/status", b'{"AgentStatusId": "x"}'),
    ]

    async def answers(app: object) -> list[tuple[int, str | None, bytes]]:
        out = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:  # type: ignore[arg-type]
            for path, body in cases:
                answer = await client.send(request(path, body))
                out.append(
                    (answer.status_code, answer.headers.get("x-amzn-errortype"), answer.content)
                )
            wrong = await client.send(request(good, cases[0][1], secret="wrong" * 8))
            out.append((wrong.status_code, wrong.headers.get("x-amzn-errortype"), wrong.content))
        return out

    lean = asyncio.run(answers(whole))
    route = asyncio.run(answers(routed))
    assert lean == route
    assert [status for status, _, _ in lean] == [200, 200, 404, 400, 400, 400, 404, 404, 403]
    asyncio.run(server.close())
