"""The contact-state diagram in docs/ is generated from the one transition table."""

from pathlib import Path

from switchboard.domain.model import ContactState
from switchboard.domain.transitions import TRANSITIONS, Move, allowed, mermaid

DOC = Path(__file__).resolve().parents[2] / "docs" / "contact-states.md"


def test_docs_state_diagram_matches_the_transition_table() -> None:
    assert DOC.read_text(encoding="utf-8") == mermaid(), (
        "regenerate: python -m switchboard.domain.transitions > docs/contact-states.md"
    )


def test_every_clearable_state_and_only_those_can_be_cleared() -> None:
    clearable = {s for s in ContactState if allowed(s, Move.CLEAR, outbound=False)}
    assert clearable == {
        ContactState.ENDED,
        ContactState.MISSED,
        ContactState.REJECTED,
        ContactState.ERROR,
    }


def test_accept_is_for_inbound_offers_only() -> None:
    assert allowed(ContactState.CONNECTING, Move.ACCEPT, outbound=False)
    assert not allowed(ContactState.CONNECTING, Move.ACCEPT, outbound=True)
    assert not allowed(ContactState.MISSED, Move.ACCEPT, outbound=False)


def test_every_state_reached_by_the_table_can_be_left() -> None:
    targets = {t.target for t in TRANSITIONS if t.target is not None}
    sources = {t.source for t in TRANSITIONS if t.source is not None}
    assert targets <= sources
