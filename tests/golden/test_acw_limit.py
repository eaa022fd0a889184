"""examples/acw-limit.yaml: the ACW time limit clears the slot by itself (DESIGN §3.8, reference
§6.4), and does nothing when the agent cleared first."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.golden.records import Output, acw_from_stream, at_ms, at_s, ms, slots, states

Example = Callable[[str], Output]


@pytest.fixture
def run(example: Example) -> Output:
    return example("acw-limit")


def test_limit_clears_the_slot_after_30_seconds(run: Output) -> None:
    seen = [(r["EventTimestamp"], states(r), slots(r)["VOICE"][0]) for r in run.changes("alice")]
    assert seen == [
        (at_ms(1), {}, 1),
        (at_ms(10), {"c1": "CONNECTING"}, 0),
        (at_ms(13), {"c1": "CONNECTED"}, 0),
        (at_ms(60), {"c1": "ENDED"}, 0),
        (at_ms(90), {}, 1),  # nobody clicked Clear: the limit did
        (at_ms(100), {"c2": "CONNECTING"}, 0),
        (at_ms(102), {"c2": "CONNECTED"}, 0),
        (at_ms(130), {"c2": "ENDED"}, 0),
        (at_ms(140), {}, 1),  # alice cleared; nothing more at 160 s
    ]


def test_acw_by_aws_method_is_the_limit(run: Output) -> None:
    spans = acw_from_stream(run.aes)
    alice = run.arn("alice")
    assert (spans[alice, "c1"].start_ms, spans[alice, "c1"].end_ms) == (
        ms(at_ms(60)),
        ms(at_ms(90)),
    )
    assert spans[alice, "c1"].seconds == 30
    assert spans[alice, "c2"].seconds == 10


def test_records_show_the_limited_acw(run: Output) -> None:
    first, second = run.record("c1")["Agent"], run.record("c2")["Agent"]
    assert first["AfterContactWorkStartTimestamp"] == at_s(60)
    assert first["AfterContactWorkEndTimestamp"] == at_s(90)
    assert first["AfterContactWorkDuration"] == 30
    assert run.record("c1")["LastUpdateTimestamp"] == at_s(90)
    assert second["AfterContactWorkDuration"] == 10
    assert run.record("c2")["DisconnectReason"] == "AGENT_DISCONNECT"


def test_status_is_untouched_by_the_limit(run: Output) -> None:
    for record in run.changes("alice"):
        agent_status = record["CurrentAgentSnapshot"]["AgentStatus"]
        assert (agent_status["Name"], agent_status["StartTimestamp"]) == ("Available", at_ms(1))
