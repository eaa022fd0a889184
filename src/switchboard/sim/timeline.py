"""A readable timeline of a run: one line per agent event, one per finished contact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from switchboard.domain.activity import activity_name
from switchboard.domain.model import Millis
from switchboard.domain.state import State
from switchboard.engine.engine import AgentStreamRecord, StreamEventType
from switchboard.engine.views import ContactRecordView
from switchboard.formats.ctr import ContactRecordEncoder, decode_contact_record
from switchboard.formats.summary import contact_summary


class Timeline:
    def __init__(
        self,
        state: State,
        write: Callable[[str], object],
        *,
        time_zone: str = "UTC",
        heartbeats: bool = False,
    ) -> None:
        self.state = state
        self.write = write
        self.zone = ZoneInfo(time_zone)
        self.heartbeats = heartbeats
        self.encoder = ContactRecordEncoder(state.settings)

    def clock(self, at: Millis) -> str:
        return datetime.fromtimestamp(at / 1000, tz=self.zone).strftime("%H:%M:%S.%f")[:-3]

    def agent_event(self, record: AgentStreamRecord) -> None:
        if record.event_type is StreamEventType.HEART_BEAT and not self.heartbeats:
            return
        username = self.state.agents[record.agent_id].username
        kind = record.event_type.value
        if record.current is None:
            self.write(f"{self.clock(record.at)}  {username:<12} {kind:<12}")
            return
        snap = record.current
        status = snap.status.name
        if snap.next_status is not None:
            status += f" (next: {snap.next_status.name})"
        activity = activity_name(snap.activity, snap.status.name)
        contacts = ", ".join(f"{c.contact_id} {c.state.value}" for c in snap.contacts) or "-"
        when = self.clock(record.at)
        self.write(f"{when}  {username:<12} {kind:<12} {status:<26} {activity:<20} {contacts}")

    def contact_record(self, record: ContactRecordView) -> None:
        """The contact summary of a finished contact (as Connect's contact summary page reads)."""
        summary = contact_summary(decode_contact_record(self.encoder.record_dict(record)))
        when = self.clock(record.last_update_at)
        self.write(
            f"{when}  contact {summary.contact_id}: {summary.channel} {summary.initiation_method},"
            f" agent: {summary.agent} disconnect: {summary.disconnect_reason},"
            f" {summary.recording}, attempts {record.attempts}"
        )
