"""The legal moves of one contact on one agent, as one table (STYLE habit 3).

`decide` asks this table before every contact move; `docs/contact-states.md` is generated from it
(`python -m switchboard.domain.transitions > docs/contact-states.md`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from switchboard.domain.model import ContactState

S = ContactState


class Move(StrEnum):
    OFFER = "routed to the agent"
    DIAL = "agent dials out"
    ACCEPT = "agent accepts"
    CUSTOMER_ANSWERS = "customer answers"
    REJECT = "agent rejects"
    TIME_OUT = "offer times out"
    CUSTOMER_LEAVES_OFFER = "customer hangs up while ringing"
    DIAL_FAILS = "dial fails"
    HOLD = "hold"
    RESUME = "resume"
    END = "conversation ends"
    CLEAR = "clear contact"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Transition:
    source: ContactState | None
    """None: the contact is not yet on the agent."""
    move: Move
    target: ContactState | None
    """None: the contact leaves the agent's CCP and frees its slot."""
    direction: Direction = Direction.ANY
    note: str = ""


TRANSITIONS: tuple[Transition, ...] = (
    Transition(None, Move.OFFER, S.CONNECTING, Direction.INBOUND),
    Transition(None, Move.DIAL, S.CONNECTING, Direction.OUTBOUND),
    Transition(S.CONNECTING, Move.ACCEPT, S.CONNECTED, Direction.INBOUND, "or auto-accept"),
    Transition(S.CONNECTING, Move.CUSTOMER_ANSWERS, S.CONNECTED, Direction.OUTBOUND),
    Transition(S.CONNECTING, Move.REJECT, S.MISSED, Direction.INBOUND, "voice"),
    Transition(S.CONNECTING, Move.REJECT, S.REJECTED, Direction.INBOUND, "chat, task"),
    Transition(S.CONNECTING, Move.TIME_OUT, S.MISSED, Direction.INBOUND),
    Transition(S.CONNECTING, Move.CUSTOMER_LEAVES_OFFER, S.MISSED, Direction.INBOUND, "voice"),
    Transition(
        S.CONNECTING, Move.CUSTOMER_LEAVES_OFFER, S.REJECTED, Direction.INBOUND, "chat, task"
    ),
    Transition(S.CONNECTING, Move.DIAL_FAILS, S.ERROR, Direction.OUTBOUND),
    Transition(S.CONNECTING, Move.END, S.ENDED, Direction.OUTBOUND, "agent cancels the dial"),
    Transition(S.CONNECTED, Move.HOLD, S.CONNECTED_ONHOLD, note="voice"),
    Transition(S.CONNECTED_ONHOLD, Move.RESUME, S.CONNECTED),
    Transition(S.CONNECTED, Move.END, S.ENDED, note="ACW starts"),
    Transition(S.CONNECTED_ONHOLD, Move.END, S.ENDED, note="ACW starts"),
    Transition(S.ENDED, Move.CLEAR, None, note="or the ACW time limit"),
    Transition(S.MISSED, Move.CLEAR, None),
    Transition(S.REJECTED, Move.CLEAR, None),
    Transition(S.ERROR, Move.CLEAR, None),
)

_ALLOWED: frozenset[tuple[ContactState | None, Move, Direction]] = frozenset(
    (t.source, t.move, direction)
    for t in TRANSITIONS
    for direction in (
        (Direction.INBOUND, Direction.OUTBOUND) if t.direction is Direction.ANY else (t.direction,)
    )
)


def allowed(state: ContactState, move: Move, *, outbound: bool) -> bool:
    """Whether `move` is legal for a contact in `state` on an agent."""
    direction = Direction.OUTBOUND if outbound else Direction.INBOUND
    return (state, move, direction) in _ALLOWED


def sources(move: Move, *, outbound: bool) -> list[ContactState]:
    """The states from which `move` is legal (for error messages)."""
    direction = Direction.OUTBOUND if outbound else Direction.INBOUND
    return [
        t.source
        for t in TRANSITIONS
        if t.move is move and t.source is not None and t.direction in (Direction.ANY, direction)
    ]


def mermaid() -> str:
    """The contact-state diagram as Markdown with a Mermaid block."""
    lines = [
        "# Contact states on an agent",
        "",
        "Generated from `src/switchboard/domain/transitions.py`; do not edit by hand.",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    for t in TRANSITIONS:
        source = "[*]" if t.source is None else t.source.value
        target = "[*]" if t.target is None else t.target.value
        label = t.move.value
        if t.direction is not Direction.ANY:
            label += f" ({t.direction.value})"
        if t.note:
            label += f": {t.note}"
        lines.append(f"    {source} --> {target}: {label}")
    lines += ["```", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - the docs generator
    import sys

    sys.stdout.write(mermaid())
