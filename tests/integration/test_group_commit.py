"""Group commit: requests that arrive while a write is on its way share the next write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from switchboard.api.server import Server
from switchboard.domain import commands as cmd
from switchboard.domain.model import AgentId, Channel, ProfileQueue, QueueId, RoutingProfileId
from switchboard.engine.clock import SystemClock
from switchboard.storage.backend import open_backend
from switchboard.storage.store import Batch, SqlStore
from tests.server_harness import MASTER_KEY

AGENTS = 50
ROUNDS = 6


def test_concurrent_commands_share_a_few_writes_and_all_are_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server(
        open_backend(str(tmp_path / "switchboard.db")),
        clock=SystemClock(),
        environ={"SWITCHBOARD_SECRET_KEY": MASTER_KEY},
    )
    clock = server.clock
    instance = server.registry.create(alias="grouped", clock=clock, at=clock.now())
    engine = instance.engine
    queue = QueueId("q")
    profile = RoutingProfileId("p")
    engine.execute(cmd.CreateQueue(queue_id=queue, name="Sales"))
    engine.execute(
        cmd.CreateRoutingProfile(
            profile_id=profile,
            name="Sales",
            concurrency=((Channel.VOICE, 1),),
            queues=(ProfileQueue(queue_id=queue, channel=Channel.VOICE, priority=1, delay_ms=0),),
        )
    )
    agents = [AgentId(f"agent-{n}") for n in range(AGENTS)]
    for agent in agents:
        engine.execute(
            cmd.CreateUser(
                agent_id=agent, username=agent, first_name="A", last_name="B", profile_id=profile
            )
        )
    writes: list[int] = []
    """Events per write."""
    append_batches = SqlStore.append_batches

    def counting(store: SqlStore, batches: list[Batch]) -> int:
        writes.append(sum(len(events) for events, _ in batches))
        return append_batches(store, batches)

    async def main() -> int:
        await server.flush()
        writes.clear()
        before = engine.log.next_seq

        async def requests(agent: AgentId) -> None:
            # What a client does: a request (a command, then its answer waits for its write,
            # as DurableResponses makes it), then the next as soon as the answer came.
            for command in (cmd.Login, cmd.Logout) * (ROUNDS // 2):
                engine.execute(command(agent_id=agent))
                await server.flush()

        await asyncio.gather(*(requests(agent) for agent in agents))
        return engine.log.next_seq - before

    monkeypatch.setattr(SqlStore, "append_batches", counting)
    events = asyncio.run(main())
    assert events >= AGENTS * ROUNDS
    assert sum(writes) == events, "every event was written, once"
    # Each round's 50 commands share a write or two (a convoy would write them one by one).
    assert len(writes) <= 3 * ROUNDS, f"{AGENTS * ROUNDS} commands took {len(writes)} writes"
    durable = server.durable(instance.id)
    assert durable.log.idle
    assert durable.store.next_seq == engine.log.next_seq
    asyncio.run(server.close())
