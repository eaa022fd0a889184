"""Agent Activity: derived from (status, contact states) with Amazon Connect's precedence."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from switchboard.domain.model import ContactState, StatusType


class Activity(StrEnum):
    """The fixed activities; a custom status shows its own name instead (see `activity_name`)."""

    AVAILABLE = "Available"
    INCOMING = "Incoming"
    ON_CONTACT = "On contact"
    AFTER_CONTACT_WORK = "After contact work"
    MISSED = "Missed"
    REJECTED = "Rejected"
    ERROR = "Error"
    OFFLINE = "Offline"
    CUSTOM = "Custom"
    """Stands for "the custom status's name" (non-productive time)."""


_ON_CONTACT_STATES = frozenset(
    {ContactState.CONNECTED, ContactState.CONNECTED_ONHOLD, ContactState.PAUSED}
)
_INCOMING_STATES = frozenset({ContactState.INCOMING, ContactState.PENDING})


def activity_of(status_type: StatusType, contacts: Iterable[tuple[ContactState, bool]]) -> Activity:
    """Agent Activity from the status type and each contact's (state, is_outbound).

    Precedence (S-RTM): Error > Missed > Rejected > On contact > ACW > Incoming > status.
    An outbound call that is still ringing counts as On contact; an inbound one as Incoming.
    """
    error = missed = rejected = on_contact = acw = incoming = False
    for state, outbound in contacts:
        if state is ContactState.ERROR:
            error = True
        elif state is ContactState.MISSED:
            missed = True
        elif state is ContactState.REJECTED:
            rejected = True
        elif state in _ON_CONTACT_STATES:
            on_contact = True
        elif state is ContactState.CONNECTING:
            if outbound:
                on_contact = True
            else:
                incoming = True
        elif state is ContactState.ENDED:
            acw = True
        elif state in _INCOMING_STATES:
            incoming = True
    if error:
        return Activity.ERROR
    if missed:
        return Activity.MISSED
    if rejected:
        return Activity.REJECTED
    if on_contact:
        return Activity.ON_CONTACT
    if acw:
        return Activity.AFTER_CONTACT_WORK
    if incoming:
        return Activity.INCOMING
    if status_type is StatusType.ROUTABLE:
        return Activity.AVAILABLE
    if status_type is StatusType.OFFLINE:
        return Activity.OFFLINE
    return Activity.CUSTOM


def activity_name(activity: Activity, status_name: str) -> str:
    """What the real-time report writes: with no contact, the status's own (renamable) name."""
    if activity in STATUS_ACTIVITIES:
        return status_name
    return activity.value


STATUS_ACTIVITIES = frozenset({Activity.AVAILABLE, Activity.OFFLINE, Activity.CUSTOM})
"""The activities an agent shows when holding no contact: the status itself."""
