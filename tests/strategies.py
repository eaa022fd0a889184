"""Shared Hypothesis strategies: the property-test instance and random actions of its agents,
customers, network and clock."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from hypothesis import strategies as st

from tests.support import START

AGENTS = ("alice", "bob", "carol", "dave")
STATUSES = ("Available", "Break", "Offline")
CUSTOM_STATUSES = ("Break",)
QUEUES = ("Sales", "Support")
CHANNELS = ("VOICE", "CHAT")
CONTACT_POOL = ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "o1", "o2", "o3")
"""Ids a random action may name: inbound contacts are c1, c2, … and dialled ones o1, o2, …"""

OFFER_TIMEOUT_S = 5
HEARTBEAT_S = 20
PRIORITY_2_DELAY_S = 10


def scenario(
    *, acw_on_status_change: str = "clear", missed_auto_clear_s: int | None = None
) -> dict[str, Any]:
    """Four agents on two routing profiles over two queues.

    `Blended` (alice, bob): VOICE 1 + CHAT 3, chats route on any channel, so a chatting agent may
    still get a call but an agent on a call gets no chat. `VoiceOnly` (carol, dave): Support first,
    Sales at priority 2 after a delay, idle time counted from the last inbound contact.
    """
    instance: dict[str, Any] = {
        "account": "111122223333",
        "region": "us-east-1",
        "id": "property",
        "offer_timeout_s": OFFER_TIMEOUT_S,
        "heartbeat_s": HEARTBEAT_S,
        "acw_on_status_change": acw_on_status_change,
    }
    if missed_auto_clear_s is not None:
        instance["missed_auto_clear_s"] = missed_auto_clear_s
    return {
        "start": START,
        "instance": instance,
        "statuses": [{"name": name} for name in CUSTOM_STATUSES],
        "queues": [{"name": name, "channels": list(CHANNELS)} for name in QUEUES],
        "routing_profiles": [
            {
                "name": "Blended",
                "concurrency": {"VOICE": 1, "CHAT": 3},
                "cross_channel": {"CHAT": "ROUTE_ANY_CHANNEL"},
                "queues": [
                    {"queue": "Sales", "channel": "VOICE"},
                    {"queue": "Sales", "channel": "CHAT"},
                    {"queue": "Support", "channel": "CHAT"},
                ],
            },
            {
                "name": "VoiceOnly",
                "concurrency": {"VOICE": 1},
                "availability_timer": "TIME_SINCE_LAST_INBOUND",
                "queues": [
                    {"queue": "Support", "channel": "VOICE", "priority": 1},
                    {
                        "queue": "Sales",
                        "channel": "VOICE",
                        "priority": 2,
                        "delay_s": PRIORITY_2_DELAY_S,
                    },
                ],
            },
        ],
        "agents": [
            {
                "username": "alice",
                "routing_profile": "Blended",
                "acw_timeout_s": {"VOICE": 10},
                "auto_accept": {"CHAT": True},
            },
            {"username": "bob", "routing_profile": "Blended"},
            {
                "username": "carol",
                "routing_profile": "VoiceOnly",
                "acw_timeout_s": {"VOICE": 6},
                "auto_accept": {"VOICE": True},
            },
            {"username": "dave", "routing_profile": "VoiceOnly"},
        ],
    }


knobs = st.fixed_dictionaries(
    {
        "acw_on_status_change": st.sampled_from(["clear", "keep"]),
        "missed_auto_clear_s": st.one_of(st.none(), st.just(7)),
    }
)
agents = st.sampled_from(AGENTS)
ready_agents = st.lists(agents, unique=True, max_size=len(AGENTS))
"""Agents logged in and Available from the start, so that contacts find someone early."""
statuses = st.sampled_from(STATUSES)
queues = st.sampled_from(QUEUES)
channels = st.sampled_from(CHANNELS)
contact_refs = st.one_of(st.none(), st.sampled_from(CONTACT_POOL))
"""None aims at a contact the action fits (the agent's ringing offer for accept, …)."""
agent_verbs = st.sampled_from(["accept", "reject", "hold", "resume", "end", "clear"])
picks = st.integers(min_value=0, max_value=2)
waits = st.one_of(
    st.integers(min_value=0, max_value=12).map(lambda s: s * 1000),
    st.sampled_from([1, 499, 4_999, 5_000, 5_001, 20_000, 30_000, 125_000]),
)
"""Milliseconds to let pass: mostly whole seconds, so actions often land on a deadline's instant."""


@dataclass(frozen=True, slots=True)
class Action:
    """One thing that happens to the instance; `contact=None` aims at a contact it fits."""

    verb: str
    agent: str | None = None
    contact: str | None = None
    pick: int = 0
    channel: str | None = None
    queue: str | None = None
    status: str | None = None
    forced: bool | None = None
    answered: bool | None = None
    ms: int | None = None

    def __repr__(self) -> str:
        given = (
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.name != "verb"
            and getattr(self, f.name) is not None
            and not (f.name == "pick" and self.pick == 0)
        )
        return f"{self.verb}({', '.join(given)})"


def _agent_action(verb: str) -> st.SearchStrategy[Action]:
    return st.builds(Action, st.just(verb), agent=agents, contact=contact_refs, pick=picks)


actions: st.SearchStrategy[Action] = st.one_of(
    st.builds(Action, st.just("login"), agent=agents),
    st.builds(Action, st.just("logout"), agent=agents, forced=st.booleans()),
    st.builds(Action, st.just("set_status"), agent=agents, status=statuses),
    st.builds(Action, st.just("inbound"), channel=channels, queue=queues),
    *(_agent_action(verb) for verb in ("accept", "reject", "hold", "resume", "end", "clear")),
    st.builds(Action, st.just("dial_out"), agent=agents),
    st.builds(
        Action, st.just("dial_result"), contact=contact_refs, pick=picks, answered=st.booleans()
    ),
    st.builds(Action, st.just("hangup"), contact=contact_refs, pick=picks),
    st.builds(Action, st.just("wait"), ms=waits),
)
"""Any one action, for plain (non-stateful) tests of whole random runs."""
