"""Which simulated queues match an Erlang model, and how the summary compares with it."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.analytics.erlang import erlang_a, erlang_c
from switchboard.domain.commands import CreateRoutingProfile
from switchboard.domain.model import Channel
from switchboard.sim.simulate import Scenario, Summary, Traffic

TOLERANCE_CI = 2.0
"""A figure agrees with theory when it is within this many 95 % half-widths (about 4 sigma)."""


@dataclass(frozen=True, slots=True)
class MetricCheck:
    name: str
    simulated: float
    predicted: float
    ci95: float | None

    @property
    def within(self) -> bool:
        if self.ci95 is None:
            return False
        return abs(self.simulated - self.predicted) <= TOLERANCE_CI * self.ci95 + 1e-9


@dataclass(frozen=True, slots=True)
class ErlangCheck:
    queue: str
    model: str
    offered_load: float
    agents: int
    metrics: tuple[MetricCheck, ...]


def erlang_agents(scenario: Scenario, traffic: Traffic) -> int | None:
    """The number of agents if `traffic`'s queue is an M/M/N(+M) system, else None.

    It is when one traffic line feeds the queue at a constant Poisson rate with exponential
    handle time (and no or exponential patience), and a fixed set of agents, each with one slot,
    serves only this queue, accepts at once, never misses, has no ACW, breaks, shifts or dials.
    """
    if len(scenario.traffic) != 1 or len(traffic.rates_per_h) != 1:
        return None
    if not traffic.handle.is_exponential or traffic.agent_hangs_up not in (0.0, 1.0):
        return None
    if traffic.patience is not None and not traffic.patience.is_exponential:
        return None
    profiles = {
        command.profile_id: command
        for command in scenario.setup.commands
        if isinstance(command, CreateRoutingProfile)
    }
    count = 0
    for user, behaviour in scenario.agents:
        profile = profiles[user.profile_id]
        serves_only_this = all(
            line.queue_id == traffic.queue_id and line.channel is traffic.channel
            for line in profile.queues
        )
        if not serves_only_this or dict(profile.concurrency).get(traffic.channel) != 1:
            return None
        accept_now = dict(user.auto_accept).get(traffic.channel, False) or (
            behaviour.accept.kind == "fixed" and behaviour.accept.mean == 0
        )
        if not (
            accept_now
            and behaviour.acw.kind == "fixed"
            and behaviour.acw.mean == 0
            and behaviour.miss_prob == 0
            and behaviour.reject_prob == 0
            and behaviour.shift_start_ms == 0
            and (behaviour.shift_end_ms or scenario.duration_ms) >= scenario.duration_ms
            and not behaviour.breaks
            and behaviour.outbound is None
        ):
            return None
        count += 1
    return count or None


def erlang_checks(scenario: Scenario, summary: Summary) -> list[ErlangCheck]:
    checks = []
    for traffic in scenario.traffic:
        agents = erlang_agents(scenario, traffic)
        if agents is None or traffic.channel is not Channel.VOICE:
            continue
        figures = summary.queues[traffic.queue]
        ci = figures["ci95"]
        rate_per_s = traffic.rates_per_h[0] / 3600
        aht_s = traffic.handle.mean
        load = rate_per_s * aht_s
        if traffic.patience is None:
            c = erlang_c(rate_per_s, aht_s, agents)
            metrics = (
                MetricCheck("P(wait)", figures["p_wait"], c.p_wait, ci["p_wait"]),
                MetricCheck(
                    "ASA s",
                    figures["avg_queue_answer_time_s"],
                    c.asa_s,
                    ci["avg_queue_answer_time_s"],
                ),
                MetricCheck(
                    "SL 20 s",
                    figures["service_level"]["20"],
                    c.service_level(20),
                    ci["service_level_20"],
                ),
            )
            model = "Erlang C (M/M/N)"
        else:
            a = erlang_a(rate_per_s, aht_s, agents, traffic.patience.mean)
            metrics = (
                MetricCheck("P(wait)", figures["p_wait"], a.p_wait, ci["p_wait"]),
                MetricCheck(
                    "abandon rate", figures["abandon_rate"], a.p_abandon, ci["abandon_rate"]
                ),
                MetricCheck(
                    "time in queue s",
                    figures["avg_time_in_queue_s"],
                    a.avg_time_in_queue_s,
                    ci["avg_time_in_queue_s"],
                ),
            )
            model = "Erlang A (M/M/N+M)"
        checks.append(ErlangCheck(traffic.queue, model, load, agents, metrics))
    return checks
