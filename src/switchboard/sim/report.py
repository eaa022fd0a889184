"""The simulator's outputs: summary.json and a self-contained report.html (no network needed)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from switchboard.sim.simulate import Scenario, SimulationResult
from switchboard.sim.theory import ErlangCheck, erlang_checks


def write_outputs(result: SimulationResult, out: Path) -> None:
    summary = result.summary.to_json()
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    checks = erlang_checks(result.scenario, result.summary)
    (out / "report.html").write_text(render(result.scenario, summary, checks), encoding="utf-8")


_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:62rem;color:#1d232a;
padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #d5dae0;padding:.3rem .7rem;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f1f3f5}
.ok{color:#1b7f3a}.off{color:#b3261e;font-weight:600}.note{color:#555;font-size:.9rem}
"""


class _Raw(str):
    """Markup written as is (our own tags), not escaped."""

    __slots__ = ()


def _cell(value: Any) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th scope=col>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(scenario: Scenario, summary: dict[str, Any], checks: list[ErlangCheck]) -> str:
    hours = scenario.duration_ms / 3_600_000
    warmup = scenario.warmup_ms / 3_600_000
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>Simulation report: {html.escape(scenario.setup.settings.instance_id)}</title>",
        f"<style>{_STYLE}</style></head><body><main>",
        f"<h1>Simulation of {html.escape(scenario.setup.settings.instance_id)}</h1>",
        (
            f"<p>{hours:g} h simulated ({warmup:g} h warm-up left out), seed {scenario.seed}, "
            f"{len(scenario.agents)} agents, {len(scenario.traffic)} traffic line(s).</p>"
        ),
        "<h2>Queues</h2>",
    ]
    rows = []
    for name, q in summary["queues"].items():
        sl = q["service_level"]
        rows.append(
            [
                name,
                q["contacts_queued"],
                q["contacts_handled"],
                q["contacts_abandoned"],
                q["p_wait"],
                q["avg_queue_answer_time_s"],
                q["abandon_rate"],
                *(sl[x] for x in ("10", "20", "30", "60")),
            ]
        )
    parts.append(
        _table(
            [
                "queue",
                "queued",
                "handled",
                "abandoned",
                "P(wait)",
                "ASA s",
                "abandon rate",
                "SL 10 s",
                "SL 20 s",
                "SL 30 s",
                "SL 60 s",
            ],
            rows,
        )
    )
    agents = summary["agents"]
    parts += [
        "<h2>Agents</h2>",
        _table(["occupancy", "average ACW s"], [[agents["occupancy"], agents["avg_acw_time_s"]]]),
        "<h2>Against queueing theory</h2>",
    ]
    if not checks:
        parts.append(
            "<p class=note>No queue here matches an Erlang model (one queue served by a fixed "
            "set of agents, Poisson arrivals at a constant rate, exponential handle time, no ACW, "
            "instant accept, and no or exponential patience), so there is nothing to compare.</p>"
        )
    for check in checks:
        parts.append(
            f"<p>{html.escape(check.queue)}: {html.escape(check.model)} with "
            f"A = {check.offered_load:.2f} Erlangs on N = {check.agents} agents.</p>"
        )
        rows = []
        for metric in check.metrics:
            mark = "ok" if metric.within else "off"
            verdict = "within" if metric.within else "outside"
            rows.append(
                [
                    metric.name,
                    metric.simulated,
                    "n/a" if metric.ci95 is None else f"± {metric.ci95:.4f}",
                    metric.predicted,
                    _Raw(f"<span class={mark}>{verdict}</span>"),
                ]
            )
        parts.append(
            _table(["metric", "simulated", "95 % batch-means", "predicted", "tolerance"], rows)
        )
    parts.append(
        "<p class=note>Tolerances come from batch means (20 batches after the warm-up), since "
        "waits at high occupancy are autocorrelated.</p></main></body></html>"
    )
    return "".join(parts)
