"""`switchboard simulate`: the real engine under stochastic traffic; same seed, same bytes."""

from pathlib import Path
from typing import Any

import orjson
import pytest

from switchboard.formats.aes import decode_agent_event_line
from switchboard.formats.ctr import decode_contact_record_line
from switchboard.sim.scenario import ScriptError
from switchboard.sim.simulate import Simulator, load_scenario, parse_scenario, simulate_to_dir


def scenario(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "start": "2026-01-05T08:00:00Z",
        "instance": {"id": "sim"},
        "statuses": [{"name": "Break"}],
        "queues": [{"name": "Sales", "channels": ["VOICE", "CHAT"]}],
        "routing_profiles": [
            {
                "name": "Basic",
                "concurrency": {"VOICE": 1},
                "queues": [{"queue": "Sales", "channel": "VOICE"}],
            }
        ],
        "duration_h": 2,
        "warmup_h": 0.25,
        "staffing": [
            {
                "count": 5,
                "routing_profile": "Basic",
                "prefix": "agent",
                "accept_s": {"dist": "fixed", "value": 2},
                "acw_s": {"dist": "exponential", "mean": 20},
            }
        ],
        "traffic": [
            {
                "queue": "Sales",
                "channel": "VOICE",
                "rate_per_h": 60,
                "handle_s": {"dist": "exponential", "mean": 180},
                "patience_s": {"dist": "exponential", "mean": 120},
            }
        ],
    }
    doc.update(overrides)
    return doc


def test_the_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first = simulate_to_dir(parse_scenario(scenario(), seed=7), tmp_path / "a")
    second = simulate_to_dir(parse_scenario(scenario(), seed=7), tmp_path / "b")
    for name in ("agent-events.jsonl", "contact-records.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    one, two = first.summary.to_json(), second.summary.to_json()
    del one["run"], two["run"]
    assert one == two


def test_another_seed_gives_another_run(tmp_path: Path) -> None:
    first = simulate_to_dir(parse_scenario(scenario(), seed=1), tmp_path / "a")
    second = simulate_to_dir(parse_scenario(scenario(), seed=2), tmp_path / "b")
    assert (tmp_path / "a" / "contact-records.jsonl").read_bytes() != (
        tmp_path / "b" / "contact-records.jsonl"
    ).read_bytes()
    assert first.summary.queues != second.summary.queues


def test_no_stream_changes_nothing_but_the_files(tmp_path: Path) -> None:
    with_stream = simulate_to_dir(parse_scenario(scenario(), seed=3), tmp_path / "a")
    without = simulate_to_dir(parse_scenario(scenario(), seed=3), tmp_path / "b", stream=False)
    assert not (tmp_path / "b" / "agent-events.jsonl").exists()
    one, two = with_stream.summary.to_json(), without.summary.to_json()
    assert one["queues"] == two["queues"]
    assert one["agents"] == two["agents"]


def test_records_are_connect_records_that_add_up(tmp_path: Path) -> None:
    result = simulate_to_dir(parse_scenario(scenario(), seed=4), tmp_path)
    records = [
        decode_contact_record_line(line)
        for line in (tmp_path / "contact-records.jsonl").read_bytes().splitlines()
    ]
    events = [
        decode_agent_event_line(line)
        for line in (tmp_path / "agent-events.jsonl").read_bytes().splitlines()
    ]
    assert events
    assert len({r.contact_id for r in records}) == len(records)
    abandoned = [r for r in records if r.agent is None]
    handled = [r for r in records if r.agent is not None]
    assert abandoned, "with 2 min patience and 5 agents some callers give up"
    assert all(r.disconnect_reason == "CUSTOMER_DISCONNECT" for r in abandoned)
    assert all(not r.has_recording for r in abandoned)
    assert all(r.agent is not None and (r.agent.acw_s or 0) >= 0 for r in handled)
    queue = result.summary.queues["Sales"]
    assert queue["contacts_handled"] + queue["contacts_abandoned"] <= queue["contacts_queued"]
    assert 0 < queue["abandon_rate"] < 1
    assert result.summary.agents["avg_acw_time_s"] > 0


def test_breaks_shifts_misses_and_outbound_run_through_the_engine() -> None:
    doc = scenario(
        staffing=[
            {
                "count": 4,
                "routing_profile": "Basic",
                "prefix": "day",
                "miss_prob": 0.1,
                "reject_prob": 0.1,
                "shift": {"start_h": 0, "end_h": 1.5},
                "breaks": [{"at_h": 0.5, "duration_min": 10, "status": "Break"}],
                "outbound": {"rate_per_h": 4, "handle_s": 60, "answer_prob": 0.7, "ring_s": 5},
            }
        ]
    )
    simulator = Simulator(parse_scenario(doc, seed=5), stream=True)
    seen: list[str] = []
    simulator.engine.on_agent_event(
        lambda r: seen.append(r.current.status.name) if r.current is not None else None
    )
    summary = simulator.run()
    assert "Break" in seen
    assert simulator.outbound_contacts > 0
    state = simulator.engine.state
    assert all(not agent.logged_in for agent in state.agents.values()), "shifts ended"
    assert summary.queues["Sales"]["contacts_queued"] > 0


def test_a_bad_scenario_names_the_key() -> None:
    with pytest.raises(ScriptError, match=r"traffic\[0\]\.handle_s: unknown dist 'gamma'"):
        parse_scenario(scenario(traffic=[{"queue": "Sales", "handle_s": {"dist": "gamma"}}]))
    with pytest.raises(ScriptError, match="warmup_h"):
        parse_scenario(scenario(duration_h=1, warmup_h=2))
    with pytest.raises(ScriptError, match=r"staffing\[0\]: unknown key\(s\) colour"):
        parse_scenario(scenario(staffing=[{"routing_profile": "Basic", "colour": "red"}]))


def test_summary_json_has_the_documented_keys(tmp_path: Path) -> None:
    result = simulate_to_dir(parse_scenario(scenario(), seed=6), tmp_path, stream=False)
    summary = orjson.loads(orjson.dumps(result.summary.to_json()))
    queue = summary["queues"]["Sales"]
    for key in (
        "contacts_queued",
        "contacts_handled",
        "contacts_abandoned",
        "p_wait",
        "avg_queue_answer_time_s",
        "avg_handle_time_s",
        "abandon_rate",
        "service_level",
    ):
        assert key in queue
    assert set(queue["service_level"]) == {"10", "20", "30", "60"}
    assert set(summary["agents"]) >= {"occupancy", "avg_acw_time_s"}
    assert set(summary["run"]) == {"contacts", "events", "wall_s", "contacts_per_wall_s"}


def test_several_queues_channels_and_profiles_share_one_engine() -> None:
    doc = scenario(
        queues=[
            {"name": "Sales", "channels": ["VOICE"]},
            {"name": "Support", "channels": ["CHAT"]},
        ],
        routing_profiles=[
            {
                "name": "Voice",
                "concurrency": {"VOICE": 1},
                "queues": [{"queue": "Sales", "channel": "VOICE"}],
            },
            {
                "name": "Chat",
                "concurrency": {"CHAT": 3},
                "queues": [{"queue": "Support", "channel": "CHAT"}],
            },
        ],
        staffing=[
            {"count": 4, "routing_profile": "Voice", "prefix": "voice"},
            {"count": 2, "routing_profile": "Chat", "prefix": "chat"},
        ],
        traffic=[
            {"queue": "Sales", "channel": "VOICE", "rate_per_h": 50, "handle_s": 200},
            {
                "queue": "Support",
                "channel": "CHAT",
                "rates_per_h": [30, 120],
                "interval_min": 60,
                "handle_s": {"dist": "lognormal", "mean": 400, "sd": 150},
            },
        ],
    )
    simulator = Simulator(parse_scenario(doc, seed=8), stream=True)
    most_chats = 0

    def watch(record: Any) -> None:
        nonlocal most_chats
        if record.current is not None:
            chats = sum(1 for c in record.current.contacts if c.channel.value == "CHAT")
            most_chats = max(most_chats, chats)

    simulator.engine.on_agent_event(watch)
    summary = simulator.run()
    assert summary.queues["Sales"]["contacts_handled"] > 0
    assert summary.queues["Support"]["contacts_handled"] > 0
    assert most_chats == 3, "chat agents work up to their concurrency"
    # the chat rate quadruples in the second hour: the second hour brings most of the chats
    assert summary.queues["Support"]["contacts_queued"] > 3 * 30 * 0.75


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).resolve().parents[2] / "examples" / "scenarios").glob("*.yaml")),
    ids=lambda p: p.stem,
)
def test_every_example_scenario_runs(path: Path) -> None:
    summary = Simulator(load_scenario(path), stream=False).run()
    assert summary.queues
    assert all(q["contacts_queued"] > 0 for q in summary.queues.values())
    assert 0 < summary.agents["occupancy"] < 1
