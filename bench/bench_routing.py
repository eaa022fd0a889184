"""Routing decisions at 100 / 10,000 / 100,000 Available agents: the heap router vs a linear scan.

One instance, one queue, one routing profile (VOICE, 1 slot), every agent logged in and Available
with a distinct `idle_since`. All figures below come from the same run:

* heap: one routing decision through the real router: a contact arrives (its `ContactQueued` is
  applied untimed), then `state.router.next_match(state, now)` and the `ContactOffered` evolve it
  leads to (slot, offer-timeout deadline, index refresh) are timed, one decision at a time. After
  a batch the offered agents accept, end and clear (untimed, through `decide`), so each goes to
  the back of the idle order.
* linear: the same decision by a naive router, same run, same loop: scan every agent with
  `unroutable_reason` (the rule the router uses), keep the eligible one with the least
  (idle_since, agent id), then the same `ContactOffered` evolve. Checked to pick the same agent.
* raw heapq: heappop + heappush of (idle_since, id, version, agent) tuples on a heap of N, the
  floor the router is built on (performance.md §6).
* engine: `engine.execute(StartInboundContact)` (queue, route, offer, agent event stream
  projection) and the accept + end + clear that follow, through the whole engine.

Heartbeats are set to one a day so that none fall inside the measured window (they are a
per-agent timer, not a routing cost). The machine is shared: read the ratios.

    .venv/bin/python bench/bench_routing.py [--quick] [--sizes 100,10000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from switchboard.domain import commands as cmd
from switchboard.domain import events as ev
from switchboard.domain.commands import Deadline
from switchboard.domain.decide import decide
from switchboard.domain.model import Agent, Channel, ContactId, InitiationMethod, Millis, QueueId
from switchboard.domain.routing import routable_channels, unroutable_reason
from switchboard.domain.state import State, evolve
from switchboard.engine.engine import Engine
from switchboard.sim.scenario import parse_setup, parse_start
from switchboard.sim.script import new_engine

GOAL_US_AT_10K = 3.0
VOICE = Channel.VOICE
Offered = tuple[Agent, ContactId]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.system()} {platform.machine()}, CPU {cpu}, {os.cpu_count()} cores"
    )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- building an instance of N Available agents ---------------------------------------------


@dataclass
class Instance:
    engine: Engine
    queue: QueueId
    now: Millis
    seconds: dict[str, float]
    contacts: int = 0

    @property
    def state(self) -> State:
        return self.engine.state

    def contact_id(self) -> ContactId:
        self.contacts += 1
        return ContactId(f"c{self.contacts}")


def scenario(n: int) -> dict[str, Any]:
    return {
        "instance": {"id": "bench-routing", "heartbeat_s": 86_400},
        "queues": [{"name": "Sales", "channels": ["VOICE"]}],
        "routing_profiles": [
            {
                "name": "Voice",
                "concurrency": {"VOICE": 1},
                "queues": [{"queue": "Sales", "channel": "VOICE"}],
            }
        ],
        "agents": [{"username": f"agent{i:06d}", "routing_profile": "Voice"} for i in range(n)],
    }


def build(n: int) -> Instance:
    """N agents created, logged in and made Available through engine commands (1 ms apart)."""
    t0 = time.perf_counter()
    setup = parse_setup(scenario(n))
    t1 = time.perf_counter()
    start = parse_start(None)
    engine = new_engine(setup, start)
    t2 = time.perf_counter()
    available = setup.statuses["available"]
    at = start
    for agent_id in setup.agents.values():
        at += 1
        engine.execute(cmd.Login(agent_id=agent_id), at=at)
        engine.execute(cmd.SetStatus(agent_id=agent_id, status_id=available), at=at)
    t3 = time.perf_counter()
    seconds = {"parse_setup": t1 - t0, "CreateUser": t2 - t1, "Login+Available": t3 - t2}
    return Instance(engine, setup.queues["sales"], at + 1, seconds)


# --- one decision, two ways -------------------------------------------------------------------


def arrive(inst: Instance) -> None:
    """A voice contact joins the queue (applied directly, so that no routing runs yet)."""
    inst.now += 1
    evolve(
        inst.state,
        ev.ContactQueued(
            at=inst.now,
            contact_id=inst.contact_id(),
            channel=VOICE,
            method=InitiationMethod.INBOUND,
            queue_id=inst.queue,
            attributes=(),
            customer_endpoint=None,
        ),
    )


def offer(  # noqa: PLR0917 - the fields of the event, as decide.route fills them
    state: State,
    agent: Agent,
    contact_id: ContactId,
    queue_id: QueueId,
    priority: int,
    candidates: int,
    now: Millis,
) -> None:
    """The event `decide.route` emits for a match, applied to the state."""
    evolve(
        state,
        ev.ContactOffered(
            at=now,
            agent_id=agent.id,
            contact_id=contact_id,
            route=ev.RouteInfo(
                queue_id=queue_id,
                priority=priority,
                candidates=candidates,
                idle_since=agent.idle_since,
            ),
        ),
    )


def heap_decision(inst: Instance) -> Offered:
    """The router: next_match, then the offer it leads to."""
    state = inst.state
    match = state.router.next_match(state, inst.now)
    assert match is not None
    offer(
        state,
        match.agent,
        match.contact.id,
        match.queue_id,
        match.priority,
        match.candidates,
        inst.now,
    )
    return match.agent, match.contact.id


def linear_pick(state: State, channel: Channel) -> Agent | None:
    """What a naive router does: look at every agent, keep the longest-idle eligible one."""
    best: Agent | None = None
    best_key: tuple[Millis, str] | None = None
    profiles = state.profiles
    statuses = state.statuses
    for agent in state.agents.values():
        profile = profiles[agent.profile_id]
        if unroutable_reason(agent, profile, statuses[agent.status_id].type, channel) is not None:
            continue
        key = (agent.idle_since, agent.id)
        if best_key is None or key < best_key:
            best, best_key = agent, key
    return best


def linear_decision(inst: Instance) -> Offered:
    """The naive router: a scan of all agents, the queue's head, then the same offer."""
    state = inst.state
    agent = linear_pick(state, VOICE)
    contact = state.router.head(inst.queue, VOICE)
    assert agent is not None
    assert contact is not None
    offer(state, agent, contact.id, inst.queue, 1, 0, inst.now)
    return agent, contact.id


_NOTHING: Any = (None, ContactId(""))


def no_decision(inst: Instance) -> Offered:
    """Calibration: the loop's own cost (clock reads and the call)."""
    return _NOTHING


def release(inst: Instance, offered: list[Offered]) -> None:
    """Each offered agent accepts, ends and clears: Available again, now the most recent idle."""
    state = inst.state
    for agent, contact_id in offered:
        for command in (
            cmd.AcceptContact(agent_id=agent.id, contact_id=contact_id),
            cmd.EndContact(agent_id=agent.id, contact_id=contact_id),
            cmd.ClearContact(agent_id=agent.id, contact_id=contact_id),
        ):
            inst.now += 1
            decide(state, command, inst.now)


def timed(
    inst: Instance, decision: Callable[[Instance], Offered], k: int, *, arrivals: bool = True
) -> tuple[list[float], list[Offered]]:
    """k decisions, each on a freshly arrived contact; seconds per decision (arrival untimed).

    Without arrivals (to calibrate the loop with `no_decision`) nothing is queued.
    """
    clock = time.perf_counter
    times: list[float] = []
    offered: list[Offered] = []
    gc.disable()
    try:
        for _ in range(k):
            if arrivals:
                arrive(inst)
            t0 = clock()
            pair = decision(inst)
            t1 = clock()
            times.append(t1 - t0)
            offered.append(pair)
    finally:
        gc.enable()
    return times, offered


@dataclass
class Timing:
    means: list[float]
    """µs per decision, one mean per repeat (loop overhead subtracted)."""
    samples: list[float]
    """µs of every single decision of every repeat."""


def repeat(inst: Instance, decision: Callable[[Instance], Offered], k: int, repeats: int) -> Timing:
    overhead_runs = [timed(inst, no_decision, min(k, 2_000), arrivals=False)[0] for _ in range(3)]
    overhead = statistics.median(t for run in overhead_runs for t in run)
    means: list[float] = []
    samples: list[float] = []
    for _ in range(repeats):
        times, offered = timed(inst, decision, k)
        release(inst, offered)
        net = [(t - overhead) * 1e6 for t in times]
        means.append(sum(net) / k)
        samples.extend(net)
    return Timing(means, samples)


def same_choice_check(inst: Instance, decisions: int) -> None:
    """The heap and the scan must agree on who gets each contact (not timed)."""
    state = inst.state
    for _ in range(decisions):
        arrive(inst)
        scanned = linear_pick(state, VOICE)
        pair = heap_decision(inst)
        if pair[0] is not scanned:
            sys.exit(f"heap and scan disagree: {pair[0].id} vs {scanned and scanned.id}")
        release(inst, [pair])


# --- peers and parts ----------------------------------------------------------------------------


def raw_heap(n: int, k: int, repeats: int) -> list[float]:
    """The floor of performance.md §6: heappop + heappush of (idle_since, id, version, agent).

    As in routing, the pushed key is the newest idle_since (the agent goes to the back).
    """
    heap = [(i, f"agent{i:06d}", 0, None) for i in range(n)]
    heapq.heapify(heap)
    top = n
    per_op: list[float] = []
    pop, push = heapq.heappop, heapq.heappush
    for _ in range(repeats):
        gc.disable()
        t0 = time.perf_counter()
        for _ in range(k):
            _, name, version, agent = pop(heap)
            top += 1
            push(heap, (top, name, version + 1, agent))
        elapsed = time.perf_counter() - t0
        gc.enable()
        per_op.append(elapsed / k * 1e6)
    return per_op


def breakdown(inst: Instance, k: int) -> dict[str, float]:
    """Where one decision goes: the heap decisions again, with clock reads between phases."""
    state = inst.state
    router = state.router
    clock = time.perf_counter
    spent = {"next_match": 0.0, "build the event": 0.0, "evolve ContactOffered": 0.0}
    offered: list[Offered] = []
    gc.disable()
    try:
        for _ in range(k):
            arrive(inst)
            now = inst.now
            t0 = clock()
            match = router.next_match(state, now)
            t1 = clock()
            assert match is not None
            agent = match.agent
            event = ev.ContactOffered(
                at=now,
                agent_id=agent.id,
                contact_id=match.contact.id,
                route=ev.RouteInfo(
                    queue_id=match.queue_id,
                    priority=match.priority,
                    candidates=match.candidates,
                    idle_since=agent.idle_since,
                ),
            )
            t2 = clock()
            evolve(state, event)
            t3 = clock()
            spent["next_match"] += t1 - t0
            spent["build the event"] += t2 - t1
            spent["evolve ContactOffered"] += t3 - t2
            offered.append((agent, match.contact.id))
    finally:
        gc.enable()
    release(inst, offered)
    t0 = clock()
    for _ in range(k):
        clock()
    read = (clock() - t0) / k
    return {name: max(0.0, total / k - read) * 1e6 for name, total in spent.items()}


def parts(inst: Instance) -> dict[str, float]:
    """Single operations a decision is made of, timed alone (µs, best of 3)."""
    state = inst.state
    agent = next(iter(state.agents.values()))
    profile = state.profiles[agent.profile_id]
    kind = state.statuses[agent.status_id].type
    n = 100_000

    def each(fn: Callable[[], object]) -> float:
        return min(timeit.repeat(fn, number=n, repeat=3)) / n * 1e6

    return {
        "RouteInfo(...) (frozen dataclass)": each(
            lambda: ev.RouteInfo(queue_id=inst.queue, priority=1, candidates=1, idle_since=0)
        ),
        "Deadline(...) (frozen, order=True)": each(
            lambda: Deadline(at=1, seq=1, kind="offer-timeout", agent_id=agent.id)
        ),
        "routable_channels(agent)": each(lambda: routable_channels(agent, profile, kind)),
        "unroutable_reason(agent, VOICE)": each(
            lambda: unroutable_reason(agent, profile, kind, VOICE)
        ),
        "a plain tuple of 4, for scale": each(lambda: (agent, profile, kind, n)),
    }


# --- the engine path --------------------------------------------------------------------------


def engine_cycles(inst: Instance, k: int, repeats: int) -> tuple[list[float], list[float]]:
    """µs per inbound command (arrival -> offer) and per accept+end+clear, through Engine.execute.

    Every offer also sets an offer-timeout deadline (20 s); those that fall due inside the run fire
    (as no-ops) inside later commands, as they would in a real run.
    """
    engine = inst.engine
    queue = inst.queue
    arrive_us: list[float] = []
    finish_us: list[float] = []
    for _ in range(repeats):
        ids = [inst.contact_id() for _ in range(k)]
        gc.disable()
        try:
            t0 = time.perf_counter()
            for contact_id in ids:
                inst.now += 1
                engine.execute(
                    cmd.StartInboundContact(contact_id=contact_id, channel=VOICE, queue_id=queue),
                    at=inst.now,
                )
            t1 = time.perf_counter()
            contacts = engine.state.contacts
            held = [(contacts[c].agent_id, c) for c in ids]
            t2 = time.perf_counter()
            for agent_id, contact_id in held:
                assert agent_id is not None
                for command in (
                    cmd.AcceptContact(agent_id=agent_id, contact_id=contact_id),
                    cmd.EndContact(agent_id=agent_id, contact_id=contact_id),
                    cmd.ClearContact(agent_id=agent_id, contact_id=contact_id),
                ):
                    inst.now += 1
                    engine.execute(command, at=inst.now)
            t3 = time.perf_counter()
        finally:
            gc.enable()
        arrive_us.append((t1 - t0) / k * 1e6)
        finish_us.append((t3 - t2) / k * 1e6)
    return arrive_us, finish_us


# --- main -------------------------------------------------------------------------------------


@dataclass
class Row:
    n: int
    heap: Timing
    linear: Timing
    linear_decisions: int
    raw: list[float]
    phases: dict[str, float]
    parts: dict[str, float]
    arrive: list[float]
    finish: list[float]
    build: dict[str, float]
    heap_entries: int


def measure(n: int, repeats: int, quick: bool) -> Row:
    print(f"  N={n:,}: building ...", end="", flush=True)
    inst = build(n)
    print(f" {sum(inst.seconds.values()):.1f} s; engine ...", end="", flush=True)
    # decisions per batch: never more than half the agents (so every contact finds one)
    k = min(max(n // 2, 1), 2_000 if quick else 5_000)
    # the engine path first, while the engine's projections are in step with its state
    arrive_us, finish_us = engine_cycles(inst, min(k, 1_000 if quick else 2_000), repeats)
    same_choice_check(inst, min(n // 2, 20))
    print(" heap ...", end="", flush=True)
    repeat(inst, heap_decision, k, 1)  # warm-up
    heap = repeat(inst, heap_decision, k, repeats)
    raw = raw_heap(n, k, repeats)
    phases = breakdown(inst, k)
    pieces = parts(inst)
    # the scan is O(N) per decision: about 2e6 agent checks per repeat (a quarter with --quick)
    lk = max(2, min(k, 2_000_000 // n))
    if quick:
        lk = max(2, lk // 4)
    print(" linear ...", end="", flush=True)
    linear = repeat(inst, linear_decision, lk, repeats)
    entries = sum(len(h) for h in inst.state.router.agent_heaps.values())
    print(" done", flush=True)
    return Row(
        n, heap, linear, lk, raw, phases, pieces, arrive_us, finish_us, inst.seconds, entries
    )


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], digits: int) -> str:
    return f"{med(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(rows: list[Row]) -> None:
    print()
    print("One routing decision, µs: median over repeats of the mean [min-max]; p50/p99 of all")
    header = (
        f"{'N':>8}  {'heap (router)':>20}  {'p50/p99':>11}  {'linear scan':>28}  "
        f"{'linear/heap':>11}  {'raw heapq':>9}  {'heap/raw':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        h, lin, raw = med(r.heap.means), med(r.linear.means), med(r.raw)
        p50, p99 = percentile(r.heap.samples, 0.5), percentile(r.heap.samples, 0.99)
        print(
            f"{r.n:>8,}  {spread(r.heap.means, 2):>20}  {f'{p50:.1f}/{p99:.1f}':>11}  "
            f"{spread(r.linear.means, 0):>28}  {lin / h:>10,.0f}x  {raw:>9.2f}  {h / raw:>7.0f}x"
        )
    print("  raw heapq = heappop + heappush of a (idle_since, id, version, agent) tuple, heap of N")
    print()
    print("Where a heap decision goes, µs (mean of one batch, clock reads between phases):")
    names = list(rows[0].phases)
    header = f"{'N':>8}  " + "  ".join(f"{name:>22}" for name in names)
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.n:>8,}  " + "  ".join(f"{r.phases[name]:>22.2f}" for name in names))
    print("  single operations inside them, µs (best of 3):")
    for name, value in rows[-1].parts.items():
        print(f"    {name:<36} {value:6.2f}")
    print()
    print("Through Engine.execute, µs per command (median over repeats):")
    header = (
        f"{'N':>8}  {'inbound->offer':>15}  {'accept+end+clear':>17}  "
        f"{'inbound/decision':>16}  {'build s':>8}  {'build µs/agent':>15}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        build_s = sum(r.build.values())
        print(
            f"{r.n:>8,}  {med(r.arrive):>15.1f}  {med(r.finish):>17.1f}  "
            f"{med(r.arrive) / med(r.heap.means):>15.1f}x  {build_s:>8.1f}  "
            f"{build_s / r.n * 1e6:>15.1f}"
        )
    print("  build: every agent created, logged in and made Available through Engine.execute")
    for r in rows:
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in r.build.items())
        print(
            f"  N={r.n:,}: {parts}; agent-heap entries at the end {r.heap_entries:,}; "
            f"linear: {r.linear_decisions} decisions per repeat"
        )
    print()
    ten_k = next((r for r in rows if r.n == 10_000), None)
    print(f"goal: ≤ {GOAL_US_AT_10K:g} µs per decision at 10k agents", end="")
    if ten_k is None:
        print(" — not measured (10k not in --sizes)")
    else:
        figure = med(ten_k.heap.means)
        verdict = "MET" if figure <= GOAL_US_AT_10K else "NOT MET"
        print(
            f" — {verdict}: {figure:.2f} µs (same run: linear scan "
            f"{med(ten_k.linear.means):,.0f} µs, raw heapq pop+push {med(ten_k.raw):.2f} µs)"
        )
    print(
        "reference (performance.md §6): raw heapq pop+push 0.62 / 1.19 / 3.22 µs at "
        "100 / 10k / 100k; linear min() 670 µs at 10k"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller batches, 100 and 10k only")
    parser.add_argument("--sizes", help="comma-separated agent counts (default 100,10000,100000)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per figure (>= 5)")
    args = parser.parse_args()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([100, 10_000] if args.quick else [100, 10_000, 100_000])
    )
    repeats = args.repeats or (5 if args.quick else 7)

    print("bench_routing: one routing decision (longest-idle agent, one queue, VOICE)")
    print(f"machine: {machine()}")
    print(f"load average at start: {load()}; repeats: {repeats}")
    started = time.perf_counter()
    rows = [measure(n, repeats, args.quick) for n in sizes]
    report(rows)
    print(f"load average at end: {load()}; total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
