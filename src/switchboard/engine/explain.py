"""`explain`: why each offer of a contact went where it went, rebuilt by replaying the log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from switchboard.domain import events as ev
from switchboard.domain.model import ContactId
from switchboard.domain.routing import Candidate, explain
from switchboard.domain.state import State, evolve


@dataclass(frozen=True, slots=True)
class OfferExplanation:
    """One routing decision: the winner, the logged key, and every agent's standing just before."""

    at: int
    winner: str
    route: ev.RouteInfo
    candidates: tuple[Candidate, ...]


def explain_contact(
    events: Iterable[tuple[int, ev.Event]], contact_id: ContactId
) -> list[OfferExplanation]:
    """Replay `events` on a fresh state; before each offer of `contact_id`, ask every agent."""
    state = State()
    found: list[OfferExplanation] = []
    for _, event in events:
        if isinstance(event, ev.ContactOffered) and event.contact_id == contact_id:
            contact = state.contacts[contact_id]
            found.append(
                OfferExplanation(
                    at=event.at,
                    winner=state.agents[event.agent_id].username,
                    route=event.route,
                    candidates=tuple(explain(state, contact, event.at)),
                )
            )
        evolve(state, event)
        state.finished.clear()
    return found
