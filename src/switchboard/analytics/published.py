"""The engine's published records as historical-metrics input, in process, with no JSON in between.

`compute` reads decoded records. For an engine in the same process (the simulator's report, a
server's dashboard), `PublishedRecords` listens to `Engine.on_agent_event` / `on_contact_record`
and keeps what a consumer of the JSONL files would decode:

* agent events are mapped field by field from the engine's snapshot views (times are the same
  milliseconds the stream writes, ids are turned into the same ARNs);
* contact records go through `ContactRecordEncoder.record_dict`, so their durations are the
  encoder's whole-second arithmetic (DESIGN §6) and no second copy of it exists.

A golden test holds that metrics from these equal metrics from the written files decoded back.
"""

from __future__ import annotations

from switchboard.domain.model import InstanceSettings
from switchboard.engine.engine import AgentStreamRecord
from switchboard.engine.views import AgentSnapshot, ContactRecordView
from switchboard.formats.aes import (
    AgentEventEncoder,
    DecodedAgentEvent,
    DecodedContact,
    DecodedSnapshot,
)
from switchboard.formats.ctr import (
    ContactRecordEncoder,
    DecodedContactRecord,
    decode_contact_record,
)
from switchboard.formats.timestamps import iso_ms


class PublishedRecords:
    """Collects an engine's agent events and contact records as `compute` takes them."""

    def __init__(self, settings: InstanceSettings) -> None:
        self.settings = settings
        self.agent_events: list[DecodedAgentEvent] = []
        self.contact_records: list[DecodedContactRecord] = []
        self._aes = AgentEventEncoder(settings)
        self._ctr = ContactRecordEncoder(settings)
        self._snapshots: dict[int, tuple[AgentSnapshot, DecodedSnapshot]] = {}

    # listeners: pass these to Engine.on_agent_event / on_contact_record (or run_script)

    def on_agent_event(self, record: AgentStreamRecord) -> None:
        self.agent_events.append(self.agent_event(record))

    def on_contact_record(self, view: ContactRecordView) -> None:
        self.contact_records.append(self.contact_record(view))

    # conversions

    def agent_event(self, record: AgentStreamRecord) -> DecodedAgentEvent:
        arn = self._aes.arns.agent(record.agent_id)
        event_id = record.event_id
        if event_id is None:  # a heartbeat: its id hashes (AgentARN, EventTimestamp)
            event_id = self._aes.ids.heartbeat(arn, iso_ms(record.at))
        return DecodedAgentEvent(
            event_id=event_id,
            event_type=record.event_type.value,
            at=record.at,
            agent_arn=arn,
            instance_arn=self.settings.arn,
            current=self.snapshot(record.current),
            previous=self.snapshot(record.previous),
        )

    def contact_record(self, view: ContactRecordView) -> DecodedContactRecord:
        return decode_contact_record(self._ctr.record_dict(view))

    def snapshot(self, snapshot: AgentSnapshot | None) -> DecodedSnapshot | None:
        if snapshot is None:
            return None
        # a record's previous snapshot is the one before's current: convert each view once
        cached = self._snapshots.get(id(snapshot))
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        configuration = snapshot.configuration
        channels = [channel.value for channel, _ in configuration.profile.maximum_slots]
        decoded = DecodedSnapshot(
            username=configuration.username,
            first_name=configuration.first_name,
            last_name=configuration.last_name,
            status_name=snapshot.status.name,
            status_type=snapshot.status.type.value,
            status_start=snapshot.status.start,
            next_status_name=(
                snapshot.next_status.name if snapshot.next_status is not None else None
            ),
            routing_profile=configuration.profile.name,
            available_slots=dict(zip(channels, snapshot.available_slots, strict=True)),
            maximum_slots={c.value: n for c, n in configuration.profile.maximum_slots},
            contacts=tuple(
                DecodedContact(
                    contact_id=c.contact_id,
                    channel=c.channel.value,
                    initiation_method=c.method.value,
                    state=c.state.value,
                    state_start=c.state_start,
                    connected_at=c.connected_at,
                    queue_at=c.queue_at,
                    queue_name=c.queue_name,
                )
                for c in snapshot.contacts
            ),
        )
        if len(self._snapshots) > 4096:  # keep only recent views; ids of freed ones are reused
            self._snapshots.clear()
        self._snapshots[id(snapshot)] = (snapshot, decoded)
        return decoded


__all__ = ["PublishedRecords"]
