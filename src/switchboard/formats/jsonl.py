"""Connect's records as JSON Lines: one encoded record per line, written as the engine publishes."""

from __future__ import annotations

from typing import IO

from switchboard.domain.model import InstanceSettings
from switchboard.engine.engine import AgentStreamRecord, Engine
from switchboard.engine.views import ContactRecordView
from switchboard.formats.aes import AgentEventEncoder
from switchboard.formats.ctr import ContactRecordEncoder

BUFFER = 1 << 20
"""Open output files with this buffer: one small write per record otherwise costs twice as much
(bench/bench_run.py)."""


def write_jsonl(
    engine: Engine,
    settings: InstanceSettings,
    *,
    agent_events: IO[bytes] | None = None,
    contact_records: IO[bytes] | None = None,
) -> None:
    """Subscribe writers of the agent event stream and of contact records to `engine`."""
    if agent_events is not None:
        aes = AgentEventEncoder(settings)
        write_aes = agent_events.write

        def _write_aes(record: AgentStreamRecord) -> None:
            write_aes(aes.encode(record))
            write_aes(b"\n")

        engine.on_agent_event(_write_aes)
    if contact_records is not None:
        ctr = ContactRecordEncoder(settings)
        write_ctr = contact_records.write

        def _write_ctr(record: ContactRecordView) -> None:
            write_ctr(ctr.encode(record))
            write_ctr(b"\n")

        engine.on_contact_record(_write_ctr)
