"""`switchboard simulate` from the command line: files, report, errors."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from switchboard.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "erlang-e1.yaml"


def short_copy(tmp_path: Path, hours: int = 6) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace("duration_h: 24", f"duration_h: {hours}")
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_simulate_writes_summary_report_and_connect_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["simulate", str(short_copy(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "contacts/s" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["queues"]["Sales"]["contacts_queued"] > 0
    assert (out / "agent-events.jsonl").stat().st_size > 0
    assert (out / "contact-records.jsonl").stat().st_size > 0
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Erlang C (M/M/N)" in report
    assert "P(wait)" in report
    assert not re.search(r"(src|href)=['\"]?https?://", report), "the report fetches nothing"
    HTMLParser().feed(report)


def test_no_stream_writes_only_the_summary_and_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["simulate", str(short_copy(tmp_path)), "--out", str(out), "--no-stream"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "summary.json"]


def test_the_seed_option_replaces_the_scenarios_seed(tmp_path: Path) -> None:
    runner = CliRunner()
    scenario = str(short_copy(tmp_path, hours=3))
    for name, seed in (("a", "1"), ("b", "2"), ("c", "1")):
        result = runner.invoke(
            main, ["simulate", scenario, "--out", str(tmp_path / name), "--seed", seed]
        )
        assert result.exit_code == 0, result.output

    def records(name: str) -> bytes:
        return (tmp_path / name / "contact-records.jsonl").read_bytes()

    assert records("a") == records("c")
    assert records("a") != records("b")


def test_a_broken_scenario_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("duration_h: 1\ntraffic: [{queue: Nowhere}]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "traffic[0]: unknown queue 'Nowhere'" in result.output
    assert "Traceback" not in result.output
