"""`switchboard analyze`: Connect exports in; historical metrics as CSV, JSON and HTML out.

Writes, in the output folder: acw.csv (ACW per contact by AWS's documented method),
status-time.csv (agent, status, interval, seconds), agent-activity.csv (agent, Agent Activity,
interval, seconds), metrics.json (the historical metrics per interval, agent and queue) and
report.html (one self-contained page). The metrics are `historical.compute`'s, the same code
that serves the engine's own log (DESIGN §6).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from switchboard.analytics.historical import (
    ACW_HEADER,
    AGENT_ACTIVITY_HEADER,
    STATUS_TIME_HEADER,
    HistoricalMetrics,
    compute,
)
from switchboard.analytics.readers import Export, paused_collector, read_exports
from switchboard.analytics.report import ReportFacts, render_report, status_kinds
from switchboard.domain.intervals import IntervalLength, zone_of

OUTPUTS = ("acw.csv", "status-time.csv", "agent-activity.csv", "metrics.json", "report.html")


@dataclass(slots=True)
class Analysis:
    """What one `analyze` read, computed and wrote, with how long each step took."""

    export: Export
    metrics: HistoricalMetrics | None
    """None when nothing could be read (then nothing is written)."""
    written: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds of `read`, `compute` and `write`."""

    @property
    def agents(self) -> int:
        arns = {event.agent_arn for event in self.export.agent_events}
        for record in self.export.contact_records:
            if record.agent is not None and record.agent.arn is not None:
                arns.add(record.agent.arn)
        return len(arns)


def analyze(
    paths: Iterable[Path],
    out: Path,
    *,
    interval: IntervalLength | str = IntervalLength.MINUTES_15,
    time_zone: str = "UTC",
    title: str = "Contact center report",
) -> Analysis:
    """Read every export under `paths`, and unless nothing could be read, write the outputs.

    An unknown interval or time zone raises ValueError before anything is read.
    """
    length = interval if isinstance(interval, IntervalLength) else IntervalLength.parse(interval)
    zone_of(time_zone)
    sources = tuple(str(path) for path in paths)
    with paused_collector():  # every record read stays alive until the end: nothing to collect
        return _analyze(sources, out, length, time_zone, title)


def _analyze(
    sources: tuple[str, ...], out: Path, length: IntervalLength, time_zone: str, title: str
) -> Analysis:
    started = time.perf_counter()
    export = read_exports(Path(source) for source in sources)
    analysis = Analysis(export, None)
    analysis.seconds["read"] = time.perf_counter() - started
    if export.records == 0:
        return analysis
    started = time.perf_counter()
    metrics = compute(
        export.agent_events, export.contact_records, interval=length, time_zone=time_zone
    )
    analysis.metrics = metrics
    analysis.seconds["compute"] = time.perf_counter() - started
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "acw.csv", ACW_HEADER, metrics.acw_rows())
    _write_csv(out / "status-time.csv", STATUS_TIME_HEADER, metrics.status_time_rows())
    _write_csv(out / "agent-activity.csv", AGENT_ACTIVITY_HEADER, metrics.agent_activity_rows())
    (out / "metrics.json").write_bytes(metrics.to_json(indent=True) + b"\n")
    facts = ReportFacts(
        sources=sources,
        agent_events=len(export.agent_events),
        contact_records=len(export.contact_records),
        duplicates=export.duplicates,
        malformed=len(export.problems),
        span=export.time_span(),
    )
    page = render_report(metrics, facts, status_kinds(export.agent_events), title=title)
    (out / "report.html").write_text(page, encoding="utf-8")
    analysis.written = [out / name for name in OUTPUTS]
    analysis.seconds["write"] = time.perf_counter() - started
    return analysis


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


__all__ = ["OUTPUTS", "Analysis", "analyze"]
