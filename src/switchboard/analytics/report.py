"""report.html of `analyze`: one self-contained page of charts (inline SVG) with a table under each.

The page fetches nothing: styles are inline, charts are SVG drawn here, and each table's CSV is a
`data:` link. Layout follows UI.md: intervals down the side and metrics across, a chart above
each table, one colour per Agent Activity with its name always written beside it, times in the
chosen time zone with the zone shown, semantic HTML (headings, captions, `th` with `scope`).
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import quote

from switchboard.analytics.historical import HistoricalMetrics
from switchboard.domain.activity import Activity
from switchboard.domain.intervals import IntervalLength
from switchboard.domain.model import Millis, StatusType
from switchboard.formats.aes import DecodedAgentEvent, status_type_of

# UI.md: one colour per Agent Activity, everywhere. Missed, Rejected and Error share red (three
# shades so that their bands can be told apart); custom statuses share grey-brown, in shades.
ACTIVITY_COLOURS: dict[str, str] = {
    Activity.AVAILABLE.value: "#2e7d32",
    Activity.INCOMING.value: "#f2a900",
    Activity.ON_CONTACT.value: "#1f5fbf",
    Activity.AFTER_CONTACT_WORK.value: "#7b3fbf",
    Activity.MISSED.value: "#c62828",
    Activity.REJECTED.value: "#e05050",
    Activity.ERROR.value: "#8e1b1b",
    Activity.OFFLINE.value: "#9e9e9e",
}
CUSTOM_STATUS_COLOURS = ("#8d6e63", "#a1887f", "#6d4c41", "#bcaaa4", "#795548", "#d7ccc8")
"""Grey-brown shades for custom statuses (non-productive time), used in turn."""

SERVICE_LEVEL_S = 20
"""The service level the report charts (all of Connect's thresholds are in metrics.json)."""

ACW_BINS_S: tuple[int, ...] = (5, 10, 20, 30, 60, 120, 300, 600)
"""Upper bounds of the ACW histogram's bins; a last bin holds everything longer."""

TOP_AGENTS = 10

# Working activities first (bottom of the stack), then waiting, failing, away.
_STACK_ORDER = (
    Activity.ON_CONTACT.value,
    Activity.AFTER_CONTACT_WORK.value,
    Activity.INCOMING.value,
    Activity.AVAILABLE.value,
    Activity.MISSED.value,
    Activity.REJECTED.value,
    Activity.ERROR.value,
)
_HANDLED_COLOUR = "#455a64"
_ABANDONED_COLOUR = "#e0a458"
_SERVICE_LEVEL_COLOUR = "#00796b"

_STYLE = """
:root{color-scheme:light}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:68rem;
padding:1rem 1.25rem 3rem;color:#1d232a;background:#fff}
h1{font-size:1.55rem;margin:.5rem 0}h2{font-size:1.2rem;margin:2.25rem 0 .5rem}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;padding:0;list-style:none}
a{color:#1f5fbf}a:focus-visible,summary:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dl.facts dt{color:#555}dl.facts dd{margin:0}
figure{margin:.5rem 0 0}svg{width:100%;height:auto;display:block}
svg text{font:12px system-ui,sans-serif;fill:#37474f}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;margin:.5rem 0;list-style:none}
.legend li{display:flex;align-items:center;gap:.4rem}
.swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;flex:none}
.wide{overflow-x:auto}
table{border-collapse:collapse;margin:.75rem 0 .25rem;font-variant-numeric:tabular-nums}
caption{text-align:left;color:#555;font-size:.9rem;padding:.25rem 0;caption-side:top}
th,td{border-bottom:1px solid #d5dae0;padding:.25rem .6rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}thead th{background:#f1f3f5;vertical-align:bottom}
tfoot th,tfoot td{font-weight:600;border-top:2px solid #90a4ae}
.note{color:#555;font-size:.9rem}.download{font-size:.9rem}
"""


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What the page's header says about the input."""

    sources: tuple[str, ...]
    agent_events: int
    contact_records: int
    duplicates: int
    malformed: int
    span: tuple[Millis, Millis] | None


def status_kinds(events: Sequence[DecodedAgentEvent]) -> dict[str, StatusType]:
    """Each agent status name seen in the stream and its type (custom, routable or offline).

    Records from before `AgentStatus.Type` existed are read by name, as Connect's two built-in
    statuses are named (Available, Offline); any other name is a custom status.
    """
    seen = {(e.current.status_name, e.current.status_type) for e in events if e.current}
    seen.update((e.previous.status_name, e.previous.status_type) for e in events if e.previous)
    kinds: dict[str, StatusType] = {}
    for name, declared in sorted(seen, key=lambda pair: (pair[0], pair[1] is None)):
        kinds.setdefault(name, _status_type(name, declared))  # a declared Type wins
    return kinds


_status_type = status_type_of


def render_report(
    metrics: HistoricalMetrics,
    facts: ReportFacts,
    kinds: dict[str, StatusType] | None = None,
    *,
    title: str = "Contact center report",
) -> str:
    """The whole page as text."""
    page = _Page(metrics, kinds or {})
    sections = [
        page.activity_section(),
        page.contacts_section(),
        page.acw_section(),
        page.npt_section(),
    ]
    nav = "".join(
        f'<li><a href="#{anchor}">{escape(heading)}</a></li>' for anchor, heading, _ in sections
    )
    body = "".join(html for _, _, html in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{escape(title)}</h1>\n{page.facts(facts)}\n"
        f'<nav aria-label="Sections"><ul>{nav}</ul></nav>\n</header>\n'
        f"<main>\n{body}</main>\n</body>\n</html>\n"
    )


# --- the page -----------------------------------------------------------------------------------


class _Page:
    def __init__(self, metrics: HistoricalMetrics, kinds: dict[str, StatusType]) -> None:
        self.metrics = metrics
        self.kinds = kinds
        self.zone = metrics.grid.zone
        self.slots = _all_intervals(metrics)
        days = {self._local(start).date() for start, _ in self.slots}
        if metrics.interval is IntervalLength.DAY:
            self.time_format = "%Y-%m-%d"
        elif len(days) > 1:
            self.time_format = "%Y-%m-%d %H:%M"
        else:
            self.time_format = "%H:%M"
        offsets = {self._local(start).utcoffset() for start, _ in self.slots}
        if len(offsets) > 1 and metrics.interval is not IntervalLength.DAY:
            self.time_format += " %Z"  # a clock change: 01:00 BST and 01:00 GMT are both there
        self.day = min(days).isoformat() if len(days) == 1 else ""

    # --- helpers ----------------------------------------------------------------------------

    def _local(self, at: Millis) -> datetime:
        return datetime.fromtimestamp(at / 1000, tz=self.zone)

    def when(self, at: Millis) -> str:
        return self._local(at).strftime(self.time_format)

    def when_full(self, at: Millis) -> str:
        return self._local(at).strftime("%Y-%m-%d %H:%M:%S %Z")

    def interval_heading(self) -> str:
        day = (
            f", {self.day}" if self.day and self.metrics.interval is not IntervalLength.DAY else ""
        )
        return f"Interval ({self.metrics.time_zone}{day})"

    def is_custom(self, status: str) -> bool:
        kind = self.kinds.get(status)
        if kind is None:
            return _status_type(status, None) is StatusType.CUSTOM
        return kind is StatusType.CUSTOM

    def colour(self, activity: str, customs: Sequence[str]) -> str:
        fixed = ACTIVITY_COLOURS.get(activity)
        if fixed is not None:
            return fixed
        kind = self.kinds.get(activity)
        if kind is StatusType.ROUTABLE:
            return ACTIVITY_COLOURS[Activity.AVAILABLE.value]
        if kind is StatusType.OFFLINE:
            return ACTIVITY_COLOURS[Activity.OFFLINE.value]
        index = customs.index(activity) if activity in customs else 0
        return CUSTOM_STATUS_COLOURS[index % len(CUSTOM_STATUS_COLOURS)]

    def facts(self, facts: ReportFacts) -> str:
        m = self.metrics
        span = "none"
        if facts.span is not None:
            span = f"{self.when_full(facts.span[0])} to {self.when_full(facts.span[1])}"
        rows = [
            ("Source", ", ".join(facts.sources) or "none"),
            ("Agent events", f"{facts.agent_events:,}"),
            ("Contact records", f"{facts.contact_records:,}"),
            ("Duplicates skipped", f"{facts.duplicates:,}"),
            ("Malformed records", f"{facts.malformed:,} (listed by file and line on stderr)"),
            ("Time span", span),
            ("Interval", _interval_name(m.interval)),
            ("Time zone", m.time_zone),
        ]
        items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
        return f'<dl class="facts">{items}</dl>'

    # --- agents by activity -----------------------------------------------------------------

    def activity_section(self) -> tuple[str, str, str]:
        heading = "Agents by activity through the day"
        names: set[str] = set()
        for interval in self.metrics.intervals.values():
            names.update(interval.activity.activity_ms)
        customs = sorted(n for n in names if n not in ACTIVITY_COLOURS and self.is_custom(n))
        ordered = [n for n in _STACK_ORDER if n in names]
        ordered += sorted(n for n in names if n not in ordered and n not in customs)
        ordered += customs
        offline = Activity.OFFLINE.value
        if offline in ordered:  # Offline on top, like the people who are not there
            ordered.remove(offline)
            ordered.append(offline)
        series = []
        for name in ordered:
            values = []
            for start, end in self.slots:
                found = self.metrics.intervals.get(start)
                ms = found.activity.activity_ms.get(name, 0) if found else 0
                values.append(ms / (end - start))
            series.append((name, self.colour(name, customs), values))
        chart = _stacked_area(
            self.slots,
            series,
            self.when,
            label=f"Average number of agents in each activity per interval ({heading.lower()})",
            y_title="agents",
            x_title=f"interval start ({self.metrics.time_zone})",
        )
        header = [self.interval_heading(), *ordered, "All agents"]
        rows = []
        for index, (start, _) in enumerate(self.slots):
            cells = [values[index] for _, _, values in series]
            rows.append([self.when(start), *(_num(v, 1) for v in cells), _num(sum(cells), 1)])
        table = _table(
            "agent-activity-per-interval",
            "Average number of agents in each Agent Activity: time in the activity divided by "
            "the interval's length. Per agent and in seconds: agent-activity.csv.",
            header,
            rows,
        )
        legend = _legend((name, colour) for name, colour, _ in series)
        return "activity", heading, _section("activity", heading, chart + legend + table)

    # --- contacts and service level ---------------------------------------------------------

    def contacts_section(self) -> tuple[str, str, str]:
        heading = f"Service level ({SERVICE_LEVEL_S} s) and contacts per interval"
        handled: list[float] = []
        abandoned: list[float] = []
        level: list[float | None] = []
        rows = []
        for start, _ in self.slots:
            found = self.metrics.intervals.get(start)
            c = found.contacts if found else None
            handled.append(c.contacts_handled if c else 0)
            abandoned.append(c.contacts_abandoned if c else 0)
            sl = c.service_level_pct(SERVICE_LEVEL_S) if c else None
            level.append(sl)
            rows.append(
                [
                    self.when(start),
                    str(c.contacts_queued if c else 0),
                    str(c.contacts_handled if c else 0),
                    str(c.contacts_abandoned if c else 0),
                    _pct(sl),
                    _secs(c.avg_queue_answer_time_s if c else None),
                    _secs(c.avg_handle_time_s if c else None),
                    _secs(c.avg_after_contact_work_time_s if c else None),
                    _secs(c.max_queued_time_s if c else None),
                ]
            )
        total = self.metrics.total.contacts
        footer = [
            "Whole period",
            str(total.contacts_queued),
            str(total.contacts_handled),
            str(total.contacts_abandoned),
            _pct(total.service_level_pct(SERVICE_LEVEL_S)),
            _secs(total.avg_queue_answer_time_s),
            _secs(total.avg_handle_time_s),
            _secs(total.avg_after_contact_work_time_s),
            _secs(total.max_queued_time_s),
        ]
        chart = _bars_and_line(
            self.slots,
            [("Handled", _HANDLED_COLOUR, handled), ("Abandoned", _ABANDONED_COLOUR, abandoned)],
            (f"Service level {SERVICE_LEVEL_S} s", _SERVICE_LEVEL_COLOUR, level),
            self.when,
            x_title=f"interval start ({self.metrics.time_zone})",
            label=f"Contacts handled and abandoned per interval, and service level "
            f"({SERVICE_LEVEL_S} s) as a line",
        )
        legend = _legend(
            [
                ("Contacts handled", _HANDLED_COLOUR),
                ("Contacts abandoned", _ABANDONED_COLOUR),
                (f"Service level {SERVICE_LEVEL_S} s (%, right axis)", _SERVICE_LEVEL_COLOUR),
            ]
        )
        table = _table(
            "contacts-per-interval",
            "Contact records counted in the interval of their disconnect. Service level: queued "
            f"contacts answered or abandoned within {SERVICE_LEVEL_S} s of being queued.",
            [
                self.interval_heading(),
                "Queued",
                "Handled",
                "Abandoned",
                f"Service level {SERVICE_LEVEL_S} s",
                "Avg queue answer time",
                "Avg handle time",
                "Avg after contact work",
                "Max queued time",
            ],
            rows,
            footer,
        )
        return "contacts", heading, _section("contacts", heading, chart + legend + table)

    # --- ACW distribution -------------------------------------------------------------------

    def acw_section(self) -> tuple[str, str, str]:
        heading = "After contact work per contact"
        seconds = [a.seconds for a in self.metrics.acw]
        labels = []
        counts = [0] * (len(ACW_BINS_S) + 1)
        low = 0
        for high in ACW_BINS_S:
            labels.append(f"{low}{_DASH}{high} s")
            low = high
        labels.append(f"{low} s or more")
        for value in seconds:
            index = next((i for i, high in enumerate(ACW_BINS_S) if value < high), len(ACW_BINS_S))
            counts[index] += 1
        colour = ACTIVITY_COLOURS[Activity.AFTER_CONTACT_WORK.value]
        chart = _histogram(
            labels,
            counts,
            colour,
            label="Number of contacts by the length of their after contact work",
        )
        total = len(seconds)
        rows = [
            [label, str(count), _pct(round(100 * count / total, 1) if total else None)]
            for label, count in zip(labels, counts, strict=True)
        ]
        if seconds:
            ordered = sorted(seconds)
            note = (
                f"{total:,} contact{'s' if total != 1 else ''} with after contact work: mean "
                f"{statistics.fmean(ordered):.1f} s, median "
                f"{statistics.median(ordered):.1f} s, 90th percentile "
                f"{_percentile(ordered, 0.9):.1f} s, longest {ordered[-1]:.1f} s. Measured from "
                "the agent event stream as AWS documents it; per contact: acw.csv."
            )
        else:
            note = "No contact's after contact work both started and ended in the data."
        table = _table(
            "acw-distribution",
            "Contacts by after contact work duration (from ENDED to cleared).",
            ["After contact work", "Contacts", "Share"],
            rows,
            ["All", str(total), _pct(100.0 if total else None)],
        )
        body = (
            f'{chart}{_legend([("After contact work", colour)])}<p class="note">{escape(note)}</p>'
        )
        return "acw", heading, _section("acw", heading, body + table)

    # --- top agents by NPT ------------------------------------------------------------------

    def npt_section(self) -> tuple[str, str, str]:
        heading = "Top agents by non-productive time"
        agents = list(self.metrics.total.agents.values())
        customs = sorted(
            {s for a in agents for s in a.activity.status_ms if self.is_custom(s)},
        )
        ranked = sorted(
            (a for a in agents if a.activity.non_productive_ms > 0),
            key=lambda a: (-a.activity.non_productive_ms, self.metrics.agent_label(a.agent_arn)),
        )[:TOP_AGENTS]
        names = [self.metrics.agent_label(a.agent_arn) for a in ranked]
        series = [
            (
                status,
                self.colour(status, customs),
                [a.activity.status_ms.get(status, 0) / 1000 for a in ranked],
            )
            for status in customs
        ]
        chart = _horizontal_bars(
            names,
            series,
            label=f"Non-productive time (custom statuses) of the {len(ranked)} agents with "
            "the most",
        )
        rows = []
        for agent in ranked:
            activity = agent.activity
            online = activity.online_ms
            rows.append(
                [
                    self.metrics.agent_label(agent.agent_arn),
                    _duration(activity.non_productive_ms / 1000),
                    *(_duration(activity.status_ms.get(s, 0) / 1000) for s in customs),
                    _duration(online / 1000),
                    _pct(round(100 * activity.non_productive_ms / online, 1) if online else None),
                    _pct(activity.occupancy_pct),
                    str(agent.contacts.contacts_handled),
                ]
            )
        table = _table(
            "top-agents-by-npt",
            "Non-productive time is time in a custom status (e.g. Break), even while on a "
            "contact. Times are h:mm:ss over the whole period.",
            [
                "Agent",
                "Non-productive time",
                *customs,
                "Online time",
                "Non-productive share",
                "Occupancy",
                "Contacts handled",
            ],
            rows,
        )
        if not ranked:
            body = '<p class="note">No agent spent time in a custom status.</p>'
        else:
            body = chart + _legend((s, c) for s, c, _ in series) + table
        return "npt", heading, _section("npt", heading, body)


def _all_intervals(metrics: HistoricalMetrics) -> list[tuple[Millis, Millis]]:
    """Every interval from the first with data to the last, gaps included."""
    if not metrics.intervals:
        return []
    starts = list(metrics.intervals)
    last = metrics.intervals[starts[-1]].end
    slots: list[tuple[Millis, Millis]] = []
    at = starts[0]
    while at < last:
        begin, end = metrics.grid.bounds(at)
        slots.append((begin, end))
        at = end
    return slots


def _interval_name(length: IntervalLength) -> str:
    return {
        IntervalLength.MINUTES_15: "15 minutes",
        IntervalLength.MINUTES_30: "30 minutes",
        IntervalLength.HOUR: "1 hour",
        IntervalLength.DAY: "1 day",
    }[length]


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


# --- text and tables ----------------------------------------------------------------------------


_DASH = "\u2013"  # an en dash: "no value" in a cell, and ranges such as 5-10 s


def _num(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return _DASH if value is None else f"{value:.1f} %"


def _secs(value: float | None) -> str:
    return _DASH if value is None else f"{value:.1f} s"


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _section(anchor: str, heading: str, body: str) -> str:
    return (
        f'<section id="{anchor}" aria-labelledby="{anchor}-h">\n'
        f'<h2 id="{anchor}-h">{escape(heading)}</h2>\n{body}\n</section>\n'
    )


def _legend(items: Iterable[tuple[str, str]]) -> str:
    entries = "".join(
        f'<li><span class="swatch" style="background:{colour}" aria-hidden="true"></span>'
        f"{escape(name)}</li>"
        for name, colour in items
    )
    return f'<ul class="legend" aria-label="Legend">{entries}</ul>'


def _table(
    name: str,
    caption: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[str] | None = None,
) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
    body = "".join(
        f'<tr><th scope="row">{escape(row[0])}</th>'
        + "".join(f"<td>{escape(cell)}</td>" for cell in row[1:])
        + "</tr>\n"
        for row in rows
    )
    foot = ""
    if footer is not None:
        foot = (
            f'<tfoot><tr><th scope="row">{escape(footer[0])}</th>'
            + "".join(f"<td>{escape(cell)}</td>" for cell in footer[1:])
            + "</tr></tfoot>"
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if footer is not None:
        writer.writerow(footer)
    link = (
        f'<p class="download"><a href="data:text/csv;charset=utf-8,{quote(buffer.getvalue())}" '
        f'download="{name}.csv">Download this table as CSV ({escape(name)}.csv)</a></p>'
    )
    return (
        f'<div class="wide"><table>\n<caption>{escape(caption)}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>{foot}\n</table></div>\n{link}"
    )


# --- charts (inline SVG) ------------------------------------------------------------------------

_When = Callable[[Millis], str]
_W, _H = 960, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 66, 56, 14, 42


def _scale(value: float, *, whole: bool = False) -> tuple[float, float]:
    """A round axis maximum at or above `value` and its tick step (about four ticks).

    `whole`: the axis counts things, so ticks are whole numbers.
    """
    if value <= 0:
        return 1.0, 0.25 if not whole else 1.0
    rough = value / 4
    magnitude = 10.0 ** math.floor(math.log10(rough))
    steps = (1.0, 2.0, 5.0, 10.0) if whole else (1.0, 2.0, 2.5, 5.0, 10.0)
    step = next(m * magnitude for m in steps if m * magnitude >= rough)
    if whole:
        step = max(1.0, round(step))
    return step * math.ceil(value / step - 1e-9), step


def _svg(label: str, content: str, height: int = _H) -> str:
    return (
        f'<figure><svg viewBox="0 0 {_W} {height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{content}</svg></figure>\n"
    )


def _y_axis(
    scale: tuple[float, float], title: str, *, right: bool = False, suffix: str = ""
) -> str:
    top, step = scale
    parts = []
    plot_h = _H - _TOP - _BOTTOM
    x = _W - _RIGHT if right else _LEFT
    ticks = round(top / step)
    for i in range(ticks + 1):
        value = step * i
        y = _H - _BOTTOM - plot_h * value / top
        text = f"{value:g}{suffix}"
        if not right:
            parts.append(
                f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#e3e7eb"/>'
            )
            parts.append(f'<text x="{x - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
        else:
            parts.append(f'<text x="{x + 6}" y="{y + 4:.1f}">{text}</text>')
    anchor_x = 14 if not right else _W - 8
    parts.append(
        f'<text transform="translate({anchor_x},{_H / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">{escape(title)}</text>'
    )
    return "".join(parts)


def _x_labels(slots: Sequence[tuple[Millis, Millis]], when: _When, title: str) -> str:
    if not slots:
        return ""
    plot_w = _W - _LEFT - _RIGHT
    width = plot_w / len(slots)
    most = 12 if len(when(slots[0][0])) <= 5 else 6  # long labels (dates) need more room
    stride = max(1, -(-len(slots) // most))
    parts = []
    for index in range(0, len(slots), stride):
        x = _LEFT + width * index
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_H - _BOTTOM}" y2="{_H - _BOTTOM + 4}" '
            'stroke="#90a4ae"/>'
            f'<text x="{x:.1f}" y="{_H - _BOTTOM + 18}" text-anchor="middle">'
            f"{escape(when(slots[index][0]))}</text>"
        )
    parts.append(
        f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_H - _BOTTOM}" y2="{_H - _BOTTOM}" '
        'stroke="#90a4ae"/>'
        f'<text x="{_W - _RIGHT}" y="{_H - 4}" text-anchor="end">{escape(title)}</text>'
    )
    return "".join(parts)


def _stacked_area(
    slots: Sequence[tuple[Millis, Millis]],
    series: Sequence[tuple[str, str, Sequence[float]]],
    when: _When,
    *,
    label: str,
    y_title: str,
    x_title: str,
) -> str:
    if not slots:
        return '<p class="note">No agent activity in the data.</p>'
    totals = [sum(values[i] for _, _, values in series) for i in range(len(slots))]
    scale = _scale(max(totals, default=0))
    top = scale[0]
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    width = plot_w / len(slots)
    below = [0.0] * len(slots)
    shapes = []

    def y(value: float) -> float:
        return _H - _BOTTOM - plot_h * value / top

    for name, colour, values in series:
        above = [b + v for b, v in zip(below, values, strict=True)]
        upper = []
        for i, value in enumerate(above):
            upper.append(f"{_LEFT + width * i:.1f},{y(value):.1f}")
            upper.append(f"{_LEFT + width * (i + 1):.1f},{y(value):.1f}")
        lower = []
        for i in range(len(slots) - 1, -1, -1):
            lower.append(f"{_LEFT + width * (i + 1):.1f},{y(below[i]):.1f}")
            lower.append(f"{_LEFT + width * i:.1f},{y(below[i]):.1f}")
        shapes.append(
            f'<polygon points="{" ".join(upper + lower)}" fill="{colour}">'
            f"<title>{escape(name)}</title></polygon>"
        )
        below = above
    content = _y_axis(scale, y_title) + "".join(shapes) + _x_labels(slots, when, x_title)
    return _svg(label, content)


def _bars_and_line(
    slots: Sequence[tuple[Millis, Millis]],
    bars: Sequence[tuple[str, str, Sequence[float]]],
    line: tuple[str, str, Sequence[float | None]],
    when: _When,
    *,
    label: str,
    x_title: str,
) -> str:
    if not slots:
        return '<p class="note">No contact records in the data.</p>'
    totals = [sum(values[i] for _, _, values in bars) for i in range(len(slots))]
    scale = _scale(max(totals, default=0), whole=True)
    top = scale[0]
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    width = plot_w / len(slots)
    gap = min(2.0, width * 0.15)
    parts = [
        _y_axis(scale, "contacts"),
        _y_axis((100, 25), "service level", right=True, suffix=" %"),
    ]
    for i, (start, _) in enumerate(slots):
        base = 0.0
        for name, colour, values in bars:
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / top
            y0 = _H - _BOTTOM - plot_h * base / top - h
            parts.append(
                f'<rect x="{_LEFT + width * i + gap:.1f}" y="{y0:.1f}" '
                f'width="{max(width - 2 * gap, 0.5):.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(when(start))}: {value:g} {escape(name.lower())}</title></rect>"
            )
            base += value
    name, colour, levels = line
    runs: list[list[str]] = [[]]
    for i, level in enumerate(levels):
        if level is None:
            runs.append([])
            continue
        x = _LEFT + width * (i + 0.5)
        yv = _H - _BOTTOM - plot_h * level / 100
        runs[-1].append(f"{x:.1f},{yv:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{yv:.1f}" r="2.5" fill="{colour}">'
            f"<title>{escape(when(slots[i][0]))}: {escape(name)} {level:.1f} %</title></circle>"
        )
    for run in runs:
        if len(run) > 1:
            parts.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                'stroke-width="2"/>'
            )
    parts.append(_x_labels(slots, when, x_title))
    return _svg(label, "".join(parts))


def _histogram(labels: Sequence[str], counts: Sequence[int], colour: str, *, label: str) -> str:
    scale = _scale(max(counts, default=0), whole=True)
    top = scale[0]
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    width = plot_w / len(counts)
    parts = [_y_axis(scale, "contacts")]
    for i, (name, count) in enumerate(zip(labels, counts, strict=True)):
        x = _LEFT + width * i
        h = plot_h * count / top
        parts.append(
            f'<rect x="{x + 4:.1f}" y="{_H - _BOTTOM - h:.1f}" width="{width - 8:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{escape(name)}: {count}</title></rect>'
            f'<text x="{x + width / 2:.1f}" y="{_H - _BOTTOM + 18}" text-anchor="middle">'
            f"{escape(name)}</text>"
        )
        if count:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{_H - _BOTTOM - h - 4:.1f}" '
                f'text-anchor="middle">{count}</text>'
            )
    parts.append(
        f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_H - _BOTTOM}" y2="{_H - _BOTTOM}" '
        'stroke="#90a4ae"/>'
    )
    return _svg(label, "".join(parts))


def _horizontal_bars(
    names: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float]]],
    *,
    label: str,
) -> str:
    if not names:
        return ""
    row_h = 26
    left = 170
    height = _TOP + row_h * len(names) + 30
    totals = [sum(values[i] for _, _, values in series) for i in range(len(names))]
    top, step = _scale(max(totals, default=0) / 60)  # minutes
    plot_w = _W - left - _RIGHT
    parts = []
    for i in range(round(top / step) + 1):
        x = left + plot_w * step * i / top
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{height - 30}" stroke="#e3e7eb"/>'
            f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle">'
            f"{step * i:g} min</text>"
        )
    for row, agent in enumerate(names):
        y = _TOP + row_h * row
        parts.append(
            f'<text x="{left - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(agent)}</text>"
        )
        at = 0.0
        for status, colour, values in series:
            minutes = values[row] / 60
            if minutes <= 0:
                continue
            w = plot_w * minutes / top
            parts.append(
                f'<rect x="{left + plot_w * at / top:.1f}" y="{y + 4}" width="{w:.1f}" '
                f'height="{row_h - 8}" fill="{colour}"><title>{escape(agent)}: '
                f"{escape(status)} {_duration(values[row])}</title></rect>"
            )
            at += minutes
    return (
        f'<figure><svg viewBox="0 0 {_W} {height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{''.join(parts)}</svg></figure>\n"
    )


__all__ = [
    "ACTIVITY_COLOURS",
    "ACW_BINS_S",
    "CUSTOM_STATUS_COLOURS",
    "SERVICE_LEVEL_S",
    "ReportFacts",
    "render_report",
    "status_kinds",
]
