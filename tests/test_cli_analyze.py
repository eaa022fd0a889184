"""`switchboard analyze`: outputs written, a short summary, problems listed by file and line on
stderr without stopping, and a non-zero exit only when nothing could be read."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner, Result

from switchboard.cli import main
from tests.golden.records import run_example


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["analyze", *map(str, args)])


def test_analyze_writes_the_outputs_and_a_summary(tmp_path: Path) -> None:
    run = run_example("inbound-call", tmp_path / "run")
    out = tmp_path / "out"
    result = invoke(run.folder, "--out", out, "--interval", "30m", "--tz", "Europe/London")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "acw.csv",
        "agent-activity.csv",
        "metrics.json",
        "report.html",
        "status-time.csv",
    ]
    records = len(run.aes_lines) + len(run.ctr_lines)
    summary = result.stdout
    assert f"read {records} records from 2 file(s)" in summary
    assert f"{len(run.aes_lines)} agent events, {len(run.ctr_lines)} contact records" in summary
    assert "duplicates skipped: 0; malformed: 0" in summary
    assert f"agents: 1; contacts: {len(run.ctr_lines)}" in summary
    assert "time span: 2026-01-05 09:00:00 to 2026-01-05 09:" in summary
    assert "(Europe/London)" in summary
    assert result.stderr == ""
    metrics = orjson.loads((out / "metrics.json").read_bytes())
    assert (metrics["interval"], metrics["time_zone"]) == ("30min", "Europe/London")


def test_malformed_records_are_listed_and_the_rest_is_analysed(tmp_path: Path) -> None:
    run = run_example("inbound-call", tmp_path / "run")
    lines = run.aes_lines
    broken = b"\n".join([*lines[:3], lines[3][:40], b'{"neither": "kind"}', *lines[4:]]) + b"\n"
    export = tmp_path / "export.jsonl"
    export.write_bytes(broken + run.ctr_bytes)
    result = invoke(export, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    problems = result.stderr.splitlines()
    assert problems[0].startswith(f"{export}:4: not JSON")
    assert problems[1].startswith(f"{export}:5: unknown record kind")
    assert problems[2] == "2 problem(s) reported above"
    assert "duplicates skipped: 0; malformed: 2" in result.stdout
    assert (tmp_path / "out" / "report.html").exists()


def test_duplicates_are_counted_in_the_summary(tmp_path: Path) -> None:
    run = run_example("two-chats", tmp_path / "run")
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(run.aes_bytes)
    result = invoke(run.folder, copy, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert f"duplicates skipped: {len(run.aes_lines)};" in result.stdout


def test_nothing_readable_exits_non_zero(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt.json"
    junk.write_text("this is not an export\n")
    result = invoke(junk, tmp_path / "missing", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{junk}:1: not a JSON object" in result.stderr
    assert f"{tmp_path / 'missing'}: no such file or folder" in result.stderr
    assert "nothing could be read" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_an_unknown_interval_or_time_zone_is_a_usage_error(tmp_path: Path) -> None:
    run = run_example("inbound-call", tmp_path / "run")
    bad_interval = invoke(run.folder, "--out", tmp_path / "out", "--interval", "7m")
    assert bad_interval.exit_code == 2
    assert "unknown interval '7m'" in bad_interval.output
    bad_zone = invoke(run.folder, "--out", tmp_path / "out", "--tz", "Mars/Olympus")
    assert bad_zone.exit_code == 2
    assert "unknown time zone 'Mars/Olympus'" in bad_zone.output


def test_an_input_is_required() -> None:
    result = CliRunner().invoke(main, ["analyze", "--out", "x"])
    assert result.exit_code == 2
    assert "INPUT..." in result.output
