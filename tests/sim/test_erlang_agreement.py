"""The simulator, driving the real engine, agrees with Erlang C and Erlang A within sampling
error (batch means over 20 batches after the warm-up), at small and at large loads."""

from typing import Any

import pytest

from switchboard.sim.simulate import Simulator, parse_scenario
from switchboard.sim.theory import erlang_checks


def mmn(
    agents: int, rate_per_h: float, aht_s: float, hours: float, **traffic: Any
) -> dict[str, Any]:
    return {
        "start": "2026-01-05T00:00:00Z",
        "instance": {"id": "erlang"},
        "queues": [{"name": "Q", "channels": ["VOICE"]}],
        "routing_profiles": [
            {
                "name": "P",
                "concurrency": {"VOICE": 1},
                "queues": [{"queue": "Q", "channel": "VOICE"}],
            }
        ],
        "duration_h": hours,
        "warmup_h": 1,
        "staffing": [{"count": agents, "routing_profile": "P", "auto_accept": {"VOICE": True}}],
        "traffic": [
            {
                "queue": "Q",
                "channel": "VOICE",
                "rate_per_h": rate_per_h,
                "handle_s": {"dist": "exponential", "mean": aht_s},
                **traffic,
            }
        ],
    }


def check(doc: dict[str, Any], seed: int, widest: dict[str, float]) -> None:
    scenario = parse_scenario(doc, seed)
    summary = Simulator(scenario, stream=False).run()
    [result] = erlang_checks(scenario, summary)
    for metric in result.metrics:
        assert metric.ci95 is not None
        # the comparison means something only if the run is long enough to be precise
        assert metric.ci95 <= widest[metric.name], (metric.name, metric.ci95)
        assert metric.within, (
            f"{metric.name}: simulated {metric.simulated:.4f} ± {metric.ci95:.4f}, "
            f"{result.model} predicts {metric.predicted:.4f}"
        )


@pytest.mark.parametrize("seed", [1, 2])
def test_a_small_center_agrees_with_erlang_c(seed: int) -> None:
    # E1: 100 calls per 30 min, AHT 180 s, 14 agents: P(wait) .1741, ASA 7.84 s, SL(20) .8884
    check(mmn(14, 200, 180, 24 * 6), seed, {"P(wait)": 0.035, "ASA s": 3.0, "SL 20 s": 0.03})


def test_a_handful_of_agents_agrees_with_erlang_c() -> None:
    # E3: 30 calls/h, 5 min service, 5 agents: P(wait) .130, ASA 15.6 s
    check(mmn(5, 30, 300, 24 * 20), 3, {"P(wait)": 0.03, "ASA s": 5.0, "SL 20 s": 0.03})


def test_a_large_center_agrees_with_erlang_c() -> None:
    # 2,160 calls/h, AHT 300 s (A = 180) on 200 agents: P(wait) .0945, ASA 1.42 s, SL(20) .975
    check(mmn(200, 2160, 300, 24), 4, {"P(wait)": 0.06, "ASA s": 1.6, "SL 20 s": 0.035})


def test_impatient_callers_agree_with_erlang_a() -> None:
    # E5: E1 with mean patience 5 min on 13 agents: P(wait) .2258, P(ab) .0250, E[W] 7.49 s
    doc = mmn(13, 200, 180, 24 * 6, patience_s={"dist": "exponential", "mean": 300})
    check(doc, 5, {"P(wait)": 0.025, "abandon rate": 0.01, "time in queue s": 1.5})
