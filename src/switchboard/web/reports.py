"""Historical report page: intervals and a date range, agents or queues, tables, charts and CSV.

The numbers are `analytics.historical.compute` over the instance's published records
(`api.history`), clipped to the range as GetMetricDataV2 clips them. The shaping is pure:
`report_table` turns a `HistoricalMetrics` into rows (intervals down the side, metrics across),
`to_csv` writes those rows and `chart_svg` draws the table's small chart as inline SVG, in the
Agent Activity colours of UI.md, generated here (no chart library, nothing fetched).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from switchboard.analytics.historical import (
    AgentMetrics,
    ContactMetrics,
    HistoricalMetrics,
    IntervalMetrics,
    compute,
)
from switchboard.api.connect import _clip as clip_to_window  # GetMetricDataV2's own clipping
from switchboard.api.server import Server
from switchboard.domain.intervals import IntervalLength, zone_of
from switchboard.domain.model import Millis
from switchboard.web.shell import SupervisorViewer, page_router, render

__all__ = [
    "AGENT_COLUMNS",
    "QUEUE_COLUMNS",
    "Column",
    "Grouping",
    "ReportTable",
    "chart_svg",
    "date_range",
    "report_table",
    "router",
    "to_csv",
]

Value = int | float | str | None


class Grouping(StrEnum):
    """What the report's rows are about."""

    QUEUES = "queues"
    AGENTS = "agents"


@dataclass(frozen=True, slots=True)
class Column:
    """One metric column: its heading (with its unit) and how to read it."""

    heading: str
    key: str
    """A stable name for the CSV reader and the chart."""


@dataclass(frozen=True, slots=True)
class _QueueColumn(Column):
    read: Callable[[ContactMetrics], Value]


@dataclass(frozen=True, slots=True)
class _AgentColumn(Column):
    read: Callable[[AgentMetrics], Value]


def _s(ms: int) -> float:
    return round(ms / 1000, 1)


SERVICE_LEVEL_S = 20
"""The report's "Service level X" threshold (one of Amazon's presets)."""

QUEUE_COLUMNS: tuple[_QueueColumn, ...] = (
    _QueueColumn("Contacts queued", "contacts_queued", lambda m: m.contacts_queued),
    _QueueColumn("Contacts handled", "contacts_handled", lambda m: m.contacts_handled),
    _QueueColumn("Contacts abandoned", "contacts_abandoned", lambda m: m.contacts_abandoned),
    _QueueColumn(
        f"Service level {SERVICE_LEVEL_S} s (%)",
        "service_level_pct",
        lambda m: m.service_level_pct(SERVICE_LEVEL_S),
    ),
    _QueueColumn(
        "Average queue answer time (s)",
        "avg_queue_answer_time_s",
        lambda m: m.avg_queue_answer_time_s,
    ),
    _QueueColumn("Average handle time (s)", "avg_handle_time_s", lambda m: m.avg_handle_time_s),
    _QueueColumn(
        "Average interaction time (s)", "avg_interaction_time_s", lambda m: m.avg_interaction_time_s
    ),
    _QueueColumn(
        "Average hold time (s)", "avg_customer_hold_time_s", lambda m: m.avg_customer_hold_time_s
    ),
    _QueueColumn(
        "Average after contact work time (s)",
        "avg_after_contact_work_time_s",
        lambda m: m.avg_after_contact_work_time_s,
    ),
    _QueueColumn(
        "Average queue abandon time (s)", "avg_abandon_time_s", lambda m: m.avg_abandon_time_s
    ),
    _QueueColumn("Maximum queued time (s)", "max_queued_time_s", lambda m: m.max_queued_time_s),
)

AGENT_COLUMNS: tuple[_AgentColumn, ...] = (
    _AgentColumn("Online time (s)", "online_time_s", lambda a: _s(a.activity.online_ms)),
    _AgentColumn("Idle time (s)", "idle_time_s", lambda a: _s(a.activity.idle_ms)),
    _AgentColumn(
        "On contact time (s)", "on_contact_time_s", lambda a: _s(a.activity.on_contact_ms)
    ),
    _AgentColumn(
        "Non-productive time (s)",
        "non_productive_time_s",
        lambda a: _s(a.activity.non_productive_ms),
    ),
    _AgentColumn("Error status time (s)", "error_status_time_s", lambda a: _s(a.activity.error_ms)),
    _AgentColumn("Occupancy (%)", "occupancy_pct", lambda a: a.activity.occupancy_pct),
    _AgentColumn("Contacts handled", "contacts_handled", lambda a: a.contacts.contacts_handled),
    _AgentColumn(
        "Agent non-response", "agent_non_response", lambda a: a.contacts.agent_non_response
    ),
    _AgentColumn("Agent answer rate (%)", "answer_rate_pct", lambda a: a.contacts.answer_rate_pct),
    _AgentColumn(
        "Average handle time (s)", "avg_handle_time_s", lambda a: a.contacts.avg_handle_time_s
    ),
    _AgentColumn(
        "After contact work time (s)",
        "after_contact_work_time_s",
        lambda a: a.contacts.after_contact_work_time_s,
    ),
)


@dataclass(frozen=True, slots=True)
class ReportTable:
    """Rows of (interval start label, queue or agent, metric values…), and the totals row."""

    grouping: Grouping
    headings: tuple[str, ...]
    keys: tuple[str, ...]
    rows: list[tuple[Value, ...]]
    interval_starts: list[Millis]
    """The interval of each row, as engine time (the chart's x axis)."""
    totals: list[tuple[Value, ...]]
    """One row per queue or agent over the whole range (interval column "Total")."""


def report_table(metrics: HistoricalMetrics, grouping: Grouping) -> ReportTable:
    """Intervals down the side (then queue or agent), metrics across; totals per queue/agent."""
    rows: list[tuple[Value, ...]] = []
    starts: list[Millis] = []
    label = metrics.grid.label
    who = "Queue" if grouping is Grouping.QUEUES else "Agent"

    def lines(interval_label: str, interval: IntervalMetrics) -> list[tuple[Value, ...]]:
        out: list[tuple[Value, ...]] = []
        if grouping is Grouping.QUEUES:
            queues = interval.queues
            for name in sorted(queues):
                out.append((interval_label, name, *(c.read(queues[name]) for c in QUEUE_COLUMNS)))
        else:
            agents = interval.agents
            for arn in sorted(agents, key=metrics.agent_label):
                out.append(
                    (
                        interval_label,
                        metrics.agent_label(arn),
                        *(c.read(agents[arn]) for c in AGENT_COLUMNS),
                    )
                )
        return out

    for start, interval in metrics.intervals.items():
        found = lines(label(start), interval)
        rows += found
        starts += [start] * len(found)
    totals = lines("Total", metrics.total) if metrics.intervals else []
    columns: Sequence[Column] = QUEUE_COLUMNS if grouping is Grouping.QUEUES else AGENT_COLUMNS
    return ReportTable(
        grouping=grouping,
        headings=("Interval start", who, *(c.heading for c in columns)),
        keys=("interval", who.lower(), *(c.key for c in columns)),
        rows=rows,
        interval_starts=starts,
        totals=totals,
    )


def to_csv(table: ReportTable) -> str:
    """The table as CSV: the headings, one row per interval and queue/agent, then the totals.
    An empty cell is a metric with nothing to measure (an average over no contacts)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headings)
    for row in [*table.rows, *table.totals]:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


# --- the range -----------------------------------------------------------------------------------


def date_range(first: date, last: date, time_zone: str) -> tuple[Millis, Millis]:
    """`[midnight of first, midnight after last)` in `time_zone`, in engine milliseconds."""
    if last < first:
        raise ValueError("the range ends before it starts")
    zone = zone_of(time_zone)

    def midnight(day: date) -> Millis:
        return round(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()) * 1000

    return midnight(first), midnight(last + timedelta(days=1))


# --- the chart -----------------------------------------------------------------------------------

_W, _H, _PAD_L, _PAD_B, _PAD_T = 640, 180, 44, 28, 12

_AGENT_SERIES = (
    ("idle_time_s", "Available (idle)", "var(--activity-available, #1a7f37)"),
    ("on_contact_time_s", "On contact", "var(--activity-on-contact, #1d4ed8)"),
    ("non_productive_time_s", "Non-productive (custom status)", "var(--activity-npt, #7a6148)"),
    ("error_status_time_s", "Error", "var(--activity-failed, #b91c1c)"),
)
_QUEUE_SERIES = (
    ("contacts_handled", "Contacts handled", "var(--activity-on-contact, #1d4ed8)"),
    ("contacts_abandoned", "Contacts abandoned", "var(--activity-failed, #b91c1c)"),
)


def _number(value: Value) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def chart_svg(table: ReportTable, label: Callable[[Millis], str], *, sub_day: bool = True) -> str:
    """The table's chart: per interval, stacked bars summed over its rows (agents: time by
    activity, in hours, minutes or seconds; queues: contacts handled and abandoned), with a
    legend; ticks show the interval's time of day (`sub_day`) or its date. Empty when the table
    has no rows."""
    if not table.rows:
        return ""
    series = _AGENT_SERIES if table.grouping is Grouping.AGENTS else _QUEUE_SERIES
    index = {key: table.keys.index(key) for key, _, _ in series}
    starts = sorted(set(table.interval_starts))
    sums = {start: [0.0] * len(series) for start in starts}
    for start, row in zip(table.interval_starts, table.rows, strict=True):
        for i, (key, _, _) in enumerate(series):
            sums[start][i] += _number(row[index[key]])
    unit = "contacts"
    if table.grouping is Grouping.AGENTS:  # seconds in the table: the chart picks a readable unit
        most = max((sum(values) for values in sums.values()), default=0.0)
        unit, per = (
            ("hours", 3600) if most >= 3600 else ("minutes", 60) if most >= 60 else ("seconds", 1)
        )
        sums = {s: [v / per for v in values] for s, values in sums.items()}
    top = max((sum(values) for values in sums.values()), default=0.0) or 1.0
    plot_w, plot_h = _W - _PAD_L - 8, _H - _PAD_B - _PAD_T
    slot = plot_w / len(starts)
    bar = min(48.0, max(2.0, slot * 0.7))
    parts = [
        (
            f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
            f'aria-label="{escape(_chart_title(table))}" xmlns="http://www.w3.org/2000/svg">'
        ),
        f'<text x="4" y="{_PAD_T + 4}" class="axis">{_fmt(top)}</text>',
        f'<text x="4" y="{_H - _PAD_B}" class="axis">0</text>',
        f'<text x="4" y="{_H - _PAD_B + 14}" class="axis">{unit}</text>',
        f'<line x1="{_PAD_L}" y1="{_H - _PAD_B}" x2="{_W - 8}" y2="{_H - _PAD_B}" class="base"/>',
    ]
    every = max(1, len(starts) // 8)
    for n, start in enumerate(starts):
        x = _PAD_L + n * slot + (slot - bar) / 2
        y = float(_H - _PAD_B)
        for i, (_, name, colour) in enumerate(series):
            value = sums[start][i]
            if value <= 0:
                continue
            height = value / top * plot_h
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}"><title>{escape(label(start))}: {escape(name)} '
                f"{_fmt(value)} {unit}</title></rect>"
            )
        if n % every == 0:
            tick = label(start)[11:16] if sub_day else label(start)[:10]
            parts.append(f'<text x="{x:.1f}" y="{_H - 8}" class="axis">{escape(tick)}</text>')
    line = _service_level_line(table, starts, slot, plot_h, label)
    parts += line
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{escape(name)}</li>'
        for _, name, colour in series
    )
    if line:
        legend += (
            '<li><span class="swatch line"></span>'
            f"Service level {SERVICE_LEVEL_S} s (%, right scale)</li>"
        )
    return f'<figure class="report-chart">{"".join(parts)}<ul class="legend">{legend}</ul></figure>'


def _service_level_line(
    table: ReportTable,
    starts: Sequence[Millis],
    slot: float,
    plot_h: float,
    label: Callable[[Millis], str],
) -> list[str]:
    """Queues: the service level of each interval over all queues (each queue's level weighted
    by its contacts queued), as a line on a 0-100 % scale at the right. Nothing for agents."""
    if table.grouping is not Grouping.QUEUES:
        return []
    level = table.keys.index("service_level_pct")
    queued = table.keys.index("contacts_queued")
    weighted: dict[Millis, tuple[float, float]] = {}
    for start, row in zip(table.interval_starts, table.rows, strict=True):
        pct, count = row[level], _number(row[queued])
        if isinstance(pct, int | float) and count:
            total, weight = weighted.get(start, (0.0, 0.0))
            weighted[start] = (total + pct * count, weight + count)
    points = []
    for n, start in enumerate(starts):
        if start in weighted:
            total, weight = weighted[start]
            pct = total / weight
            x = _PAD_L + n * slot + slot / 2
            y = _H - _PAD_B - pct / 100 * plot_h
            points.append((x, y, pct, start))
    if not points:
        return []
    out = [
        f'<text x="{_W - 8}" y="{_PAD_T + 4}" class="axis" text-anchor="end">100%</text>',
        '<polyline class="sl" fill="none" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        + '"/>',
    ]
    out += [
        f'<circle class="sl" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(label(start))}: '
        f"service level {pct:.0f}%</title></circle>"
        for x, y, pct, start in points
    ]
    return out


def _chart_title(table: ReportTable) -> str:
    if table.grouping is Grouping.AGENTS:
        return "Agent time by activity per interval (all agents)"
    return "Contacts handled and abandoned, and service level, per interval (all queues)"


def _fmt(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


# --- the page ------------------------------------------------------------------------------------

_INTERVALS = (
    (IntervalLength.MINUTES_15, "15 minutes"),
    (IntervalLength.MINUTES_30, "30 minutes"),
    (IntervalLength.HOUR, "Hour"),
    (IntervalLength.DAY, "Day"),
)
_LONGEST_DAYS = 35
"""The longest range one report covers (GetMetricDataV2's own limit for daily intervals)."""


def _parse_day(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        return default


def router(server: Server) -> APIRouter:
    """`/reports` (the page) and `/reports.csv` (the same table as CSV)."""
    routes = page_router()

    def build(
        who: SupervisorViewer,
        interval: str | None,
        start: str | None,
        end: str | None,
        group: str | None,
    ) -> tuple[ReportTable, HistoricalMetrics, dict[str, str], str | None]:
        instance = who.instance
        time_zone = instance.settings.time_zone
        now = server.clock.now()
        today = datetime.fromtimestamp(now / 1000, tz=zone_of(time_zone)).date()
        try:
            length = IntervalLength.parse(interval or "1h")
        except ValueError:
            length = IntervalLength.HOUR
        grouping = Grouping.AGENTS if group == Grouping.AGENTS else Grouping.QUEUES
        first, last = _parse_day(start, today), _parse_day(end, today)
        problem = None
        if last < first:
            problem = "The range ends before it starts; showing the first day only."
            last = first
        if (last - first).days >= _LONGEST_DAYS:
            problem = f"A report covers at most {_LONGEST_DAYS} days; showing the first ones."
            last = first + timedelta(days=_LONGEST_DAYS - 1)
        begin, finish = date_range(first, last, time_zone)
        finish = min(finish, max(begin + 1, now))
        events, records = instance.history.records(begin, finish)
        metrics = compute(
            clip_to_window(events, begin, finish) if grouping is Grouping.AGENTS else [],
            records,
            interval=length,
            time_zone=time_zone,
        )
        form = {
            "interval": length.value,
            "start": first.isoformat(),
            "end": last.isoformat(),
            "group": grouping.value,
            "time_zone": time_zone,
        }
        return report_table(metrics, grouping), metrics, form, problem

    @routes.get("/reports", response_class=HTMLResponse)
    async def reports_page(
        request: Request,
        *,
        who: SupervisorViewer,
        interval: Annotated[str | None, Query()] = None,
        start: Annotated[str | None, Query()] = None,
        end: Annotated[str | None, Query()] = None,
        group: Annotated[str | None, Query()] = None,
    ) -> HTMLResponse:
        table, metrics, form, problem = build(who, interval, start, end, group)
        query = "&".join(f"{k}={v}" for k, v in form.items() if k != "time_zone")
        return render(
            request,
            "reports.html",
            who,
            title="Reports",
            table=table,
            chart=chart_svg(
                table, metrics.grid.label, sub_day=metrics.interval is not IntervalLength.DAY
            ),
            form=form,
            intervals=_INTERVALS,
            problem=problem,
            csv_href=f"/reports.csv?{query}",
            records=metrics.contact_records_used,
        )

    @routes.get("/reports.csv")
    async def reports_csv(
        *,
        who: SupervisorViewer,
        interval: Annotated[str | None, Query()] = None,
        start: Annotated[str | None, Query()] = None,
        end: Annotated[str | None, Query()] = None,
        group: Annotated[str | None, Query()] = None,
    ) -> Response:
        table, _, form, _ = build(who, interval, start, end, group)
        name = f"switchboard-{form['group']}-{form['interval']}-{form['start']}-{form['end']}.csv"
        return Response(
            to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    return routes
