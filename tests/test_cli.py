"""`switchboard run`: files written, a readable timeline, and clear refusals (no tracebacks)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from switchboard.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

HEADER = """\
start: 2026-01-05T09:00:00Z
queues: [{name: Sales, channels: [VOICE]}]
routing_profiles:
  - {name: Basic, concurrency: {VOICE: 1}, queues: [{queue: Sales, channel: VOICE}]}
agents: [{username: alice, routing_profile: Basic}]
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["run", *args])


def write(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "script.yaml"
    path.write_text(HEADER + "script:\n" + textwrap.indent(textwrap.dedent(steps), "  "))
    return path


def assert_refused_cleanly(result: Result, *named: str) -> None:
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception  # click's exit, no crash
    assert "Traceback" not in result.output
    for text in named:
        assert text in result.output, result.output


# --- a good run ----------------------------------------------------------------------------------


def test_run_writes_both_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(str(EXAMPLES / "inbound-call.yaml"), "--out", str(out))
    assert result.exit_code == 0, result.output
    aes = (out / "agent-events.jsonl").read_bytes().splitlines()
    ctr = (out / "contact-records.jsonl").read_bytes().splitlines()
    # 23 records up to the logout, then one heartbeat 120 s after it
    assert [orjson.loads(line)["EventType"] for line in aes[-3:]] == [
        "STATE_CHANGE",
        "LOGOUT",
        "HEART_BEAT",
    ]
    assert len(aes) == 24
    assert [orjson.loads(line)["ContactId"] for line in ctr] == ["c1", "c2", "o1"]
    assert "24 agent events, 3 contact records" in result.output


def test_timeline_shows_agent_status_activity_and_contact_state(tmp_path: Path) -> None:
    result = invoke(str(EXAMPLES / "break-outbound.yaml"), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    talking = [line for line in lines if "o1 CONNECTED" in line and "CONNECTING" not in line]
    assert len(talking) == 1
    line = talking[0]
    assert line.startswith("09:00:15.000")
    for part in ("alice", "STATE_CHANGE", "Break", "On contact", "o1 CONNECTED"):
        assert part in line, line


def test_timeline_shows_the_next_status(tmp_path: Path) -> None:
    result = invoke(str(EXAMPLES / "next-status.yaml"), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert any(
        "alice" in line and "(next: Break)" in line and "c1 ENDED" in line
        for line in result.output.splitlines()
    )


def test_quiet_prints_no_timeline(tmp_path: Path) -> None:
    result = invoke(str(EXAMPLES / "inbound-call.yaml"), "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert "STATE_CHANGE" not in result.output
    assert (tmp_path / "agent-events.jsonl").stat().st_size > 0


@pytest.mark.parametrize(
    "name",
    [
        "inbound-call",
        "abandoned-call",
        "missed-offer",
        "break-outbound",
        "next-status",
        "two-chats",
        "acw-limit",
    ],
)
def test_every_example_runs(name: str, tmp_path: Path) -> None:
    result = invoke(str(EXAMPLES / f"{name}.yaml"), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "refused" not in result.output


# --- refusals ------------------------------------------------------------------------------------


def test_unknown_agent_names_the_step(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        """\
        - {at: 0, do: login, agent: alice}
        - {at: 5, do: login, agent: carol}
        """,
    )
    result = invoke(str(script), "--out", str(tmp_path / "out"))
    assert_refused_cleanly(result, "carol", "at 5 s")


def test_unknown_action_names_the_step(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        """\
        - {at: 0, do: login, agent: alice}
        - {at: 5, do: dance, agent: alice}
        """,
    )
    result = invoke(str(script), "--out", str(tmp_path / "out"))
    assert_refused_cleanly(result, "dance", "at 5 s")


def test_accept_before_any_offer_names_the_step(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        """\
        - {at: 0, do: login, agent: alice}
        - {at: 5, do: accept, agent: alice, contact: c1}
        - {at: 7, do: set_status, agent: alice, status: Available}
        """,
    )
    result = invoke(str(script), "--out", str(tmp_path / "out"))
    assert_refused_cleanly(result, "at 5 s", "accept", "c1")


def test_illegal_move_says_why(tmp_path: Path) -> None:
    """Clearing a call that is still connected: the message names the state."""
    script = write(
        tmp_path,
        """\
        - {at: 0, do: login, agent: alice}
        - {at: 1, do: set_status, agent: alice, status: Available}
        - {at: 2, do: inbound, contact: c1, queue: Sales}
        - {at: 3, do: accept, agent: alice, contact: c1}
        - {at: 4, do: clear, agent: alice, contact: c1}
        """,
    )
    result = invoke(str(script), "--out", str(tmp_path / "out"))
    assert_refused_cleanly(result, "at 4 s", "CONNECTED")


def test_script_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("script: [ {at: 0, do: login\n")
    result = invoke(str(path), "--out", str(tmp_path / "out"))
    assert_refused_cleanly(result, "YAML")


def test_keep_going_reports_and_continues(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        """\
        - {at: 0, do: login, agent: alice}
        - {at: 5, do: accept, agent: alice, contact: c1}
        - {at: 7, do: set_status, agent: alice, status: Available}
        """,
    )
    out = tmp_path / "out"
    result = invoke(str(script), "--out", str(out), "--keep-going")
    assert result.exit_code == 0, result.output
    assert "refused: at 5 s" in result.output
    assert "Traceback" not in result.output
    # the step after the refused one ran: alice became Available at 7 s
    records = [
        orjson.loads(line) for line in (out / "agent-events.jsonl").read_bytes().splitlines()
    ]
    assert [r["EventType"] for r in records] == ["LOGIN", "STATE_CHANGE"]
    assert records[1]["EventTimestamp"] == "2026-01-05T09:00:07.000Z"
    assert records[1]["CurrentAgentSnapshot"]["AgentStatus"]["Name"] == "Available"


def test_without_keep_going_the_run_stops_at_the_refusal(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        """\
        - {at: 0, do: login, agent: alice}
        - {at: 5, do: accept, agent: alice, contact: c1}
        - {at: 7, do: set_status, agent: alice, status: Available}
        """,
    )
    out = tmp_path / "out"
    invoke(str(script), "--out", str(out))
    written = (out / "agent-events.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["EventType"] for line in written] == ["LOGIN"]
