"""Simulator speed: the same M/M/N model in SimPy, in Ciw and in `switchboard simulate`.

Erlang C example E1 (reference/performance.md §1.3): 200 calls/h, AHT 180 s (exponential),
14 agents, no ACW, instant accept. Each tool simulates the same virtual days; the figure is
contacts per wall-second (median of repeats), printed beside the peers measured in this run,
with each tool's P(wait) and ASA next to Erlang C's so that a fast wrong answer shows.
Goal (issue 3): switchboard simulate --no-stream at least 2x SimPy; with the stream on, AES
records written per second (goal 100k/s).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ciw
import simpy

from switchboard.analytics.erlang import erlang_c
from switchboard.sim.simulate import parse_scenario, simulate_to_dir

RATE_PER_H = 200.0
AHT_S = 180.0
AGENTS = 14


def scenario(days: float) -> dict[str, Any]:
    return {
        "start": "2026-01-05T00:00:00Z",
        "instance": {"id": "bench"},
        "queues": [{"name": "Sales", "channels": ["VOICE"]}],
        "routing_profiles": [
            {
                "name": "Voice",
                "concurrency": {"VOICE": 1},
                "queues": [{"queue": "Sales", "channel": "VOICE"}],
            }
        ],
        "duration_h": days * 24,
        "warmup_h": 1,
        "staffing": [{"count": AGENTS, "routing_profile": "Voice", "auto_accept": {"VOICE": True}}],
        "traffic": [
            {
                "queue": "Sales",
                "channel": "VOICE",
                "rate_per_h": RATE_PER_H,
                "handle_s": {"dist": "exponential", "mean": AHT_S},
            }
        ],
    }


def run_simpy(days: float, seed: int) -> tuple[int, float, float]:
    """The textbook SimPy model: a Resource of N servers, one process per call."""
    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    waits: list[float] = []

    def call(env: simpy.Environment) -> Any:
        arrived = env.now
        with agents.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / AHT_S))

    def source(env: simpy.Environment) -> Any:
        while True:
            yield env.timeout(rng.expovariate(RATE_PER_H / 3600))
            env.process(call(env))

    env.process(source(env))
    env.run(until=days * 86_400)
    return len(waits), sum(1 for w in waits if w > 0) / len(waits), sum(waits) / len(waits)


def run_ciw(days: float, seed: int) -> tuple[int, float, float]:
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(RATE_PER_H / 3600)],
        service_distributions=[ciw.dists.Exponential(1 / AHT_S)],
        number_of_servers=[AGENTS],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(days * 86_400)
    records = simulation.get_all_records()
    waits = [r.waiting_time for r in records]
    return len(waits), sum(1 for w in waits if w > 0) / len(waits), sum(waits) / len(waits)


def run_switchboard(days: float, seed: int, *, stream: bool) -> tuple[int, float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        result = simulate_to_dir(parse_scenario(scenario(days), seed), Path(folder), stream=stream)
        aes = 0
        if stream:
            with (Path(folder) / "agent-events.jsonl").open("rb") as lines:
                aes = sum(1 for _ in lines)
    queue = result.summary.queues["Sales"]
    return (
        int(result.summary.run["contacts"]),
        float(queue["p_wait"]),
        float(queue["avg_queue_answer_time_s"]),
        aes,
    )


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=5.0, help="simulated days per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 simulated day, 2 repeats")
    args = parser.parse_args()
    days, repeats = (1.0, 2) if args.quick else (args.days, args.repeats)
    print(f"bench_simulate: M/M/{AGENTS}, {RATE_PER_H:g} calls/h, AHT {AHT_S:g} s, {days:g} days")
    print(
        f"machine: CPython {sys.version.split()[0]}, {os.cpu_count()} cores; load {os.getloadavg()}"
    )
    theory = erlang_c(RATE_PER_H / 3600, AHT_S, AGENTS)
    rows: dict[str, list[float]] = {}
    answers: dict[str, tuple[float, float]] = {}
    aes_rates: list[float] = []
    for repeat in range(repeats):
        seed = 1 + repeat
        for name, fn, kwargs in (
            ("SimPy 4 (Resource + processes)", run_simpy, {}),
            ("Ciw 3", run_ciw, {}),
            ("switchboard simulate --no-stream", run_switchboard, {"stream": False}),
            ("switchboard simulate (stream on)", run_switchboard, {"stream": True}),
        ):
            seconds, value = timed(fn, days, seed, **kwargs)
            rows.setdefault(name, []).append(value[0] / seconds)
            answers[name] = (value[1], value[2])
            if len(value) == 4 and value[3]:
                aes_rates.append(value[3] / seconds)
    simpy_rate = statistics.median(rows["SimPy 4 (Resource + processes)"])
    print(f"{'tool':<36} {'contacts/wall-s':>16} {'vs SimPy':>9} {'P(wait)':>8} {'ASA s':>7}")
    for name, rates in rows.items():
        rate = statistics.median(rates)
        p_wait, asa = answers[name]
        print(f"{name:<36} {rate:>16,.0f} {rate / simpy_rate:>8.2f}x {p_wait:>8.4f} {asa:>7.2f}")
    print(f"{'Erlang C':<36} {'':>16} {'':>9} {theory.p_wait:>8.4f} {theory.asa_s:>7.2f}")
    ours = statistics.median(rows["switchboard simulate --no-stream"])
    verdict = "met" if ours >= 2 * simpy_rate else "NOT MET"
    print(f"goal: simulate --no-stream ≥ 2x SimPy — {verdict} ({ours / simpy_rate:.2f}x)")
    if aes_rates:
        aes = statistics.median(aes_rates)
        verdict = "met" if aes >= 100_000 else "NOT MET"
        print(
            f"stream on: {aes:,.0f} AES records written per wall-second (goal ≥ 100k/s: {verdict})"
        )


if __name__ == "__main__":
    main()
