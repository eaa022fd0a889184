"""`switchboard erlang`: the staffing table a planner reads, and plain errors for bad input."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from switchboard.cli import main


def erlang(*args: str) -> Result:
    return CliRunner().invoke(main, ["erlang", *args])


def row(output: str, agents: int) -> str:
    (line,) = (line for line in output.splitlines() if line.split()[:1] == [str(agents)])
    return line


def test_erlang_c_table_for_the_call_centre_helper_example() -> None:
    result = erlang("--rate", "200/h", "--aht", "180", "--target", "80/20")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Offered load 10.00 erlangs" in out
    assert "80% answered within 20 s" in out
    assert row(out, 11).split() == ["11", "90.9%", "0.6821", "122.8", "s", "39.0%"]
    assert row(out, 13).split() == ["13", "76.9%", "0.2853", "17.1", "s", "79.6%"]
    assert row(out, 14).split()[:6] == ["14", "71.4%", "0.1741", "7.8", "s", "88.8%"]
    assert row(out, 14).endswith("<- Erlang C")
    assert "Erlang C: 14 agents needed (88.8% answered within 20 s)." in out
    assert "Erlang A" not in out


def test_with_patience_erlang_a_columns_and_its_answer_appear() -> None:
    result = erlang("--rate", "200/h", "--aht", "180", "--target", "80/20", "--patience", "300")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Erlang A (patience 300 s)" in out
    assert "abandon" in out
    thirteen = row(out, 13).split()
    assert thirteen[6:13] == ["75.0%", "0.2258", "2.5%", "6.9", "s", "85.8%", "<-"]
    assert row(out, 13).endswith("<- Erlang A")
    assert "Erlang A: 13 agents needed (85.8% answered within 20 s, 2.5% abandon)." in out
    assert "Erlang C: 14 agents needed" in out
    assert "unstable" in row(out, 10), "10 agents cannot keep up with 10 erlangs without abandons"


@pytest.mark.parametrize("rate", ["200/h", "3.3333333333/min", "0.0555555555/s"])
def test_the_rate_reads_per_hour_minute_or_second(rate: str) -> None:
    result = erlang("--rate", rate, "--aht", "180")
    assert result.exit_code == 0, result.output
    assert "Erlang C: 14 agents needed" in result.output


def test_the_target_defaults_to_80_in_20() -> None:
    result = erlang("--rate", "200/h", "--aht", "180")
    assert "Target: 80% answered within 20 s." in result.output


def test_a_large_centre() -> None:
    result = erlang("--rate", "6000/h", "--aht", "300", "--target", "80/20", "--patience", "120")
    assert result.exit_code == 0, result.output
    assert "Erlang C: 513 agents needed" in result.output
    assert "Erlang A: 459 agents needed" in result.output
    assert "   ..." in result.output, "levels far from both answers are left out"


def test_max_agents_that_cannot_reach_the_target_says_so() -> None:
    result = erlang("--rate", "200/h", "--aht", "180", "--max-agents", "12")
    assert result.exit_code == 0, result.output
    assert "Erlang C: the target is not reached with up to 12 agents." in result.output


@pytest.mark.parametrize(
    ("args", "option", "hint"),
    [
        (["--rate", "200", "--aht", "180"], "'--rate'", "200/h, 3.3/min or 0.05/s"),
        (["--rate", "200/day", "--aht", "180"], "'--rate'", "200/h, 3.3/min or 0.05/s"),
        (["--rate", "-3/h", "--aht", "180"], "'--rate'", "200/h, 3.3/min or 0.05/s"),
        (["--rate", "200/h", "--aht", "0"], "'--aht'", "x>0"),
        (["--rate", "200/h", "--aht", "three"], "'--aht'", "not a valid float"),
        (["--rate", "200/h", "--aht", "180", "--target", "80"], "'--target'", "80/20"),
        (["--rate", "200/h", "--aht", "180", "--target", "120/20"], "'--target'", "80/20"),
        (["--rate", "200/h", "--aht", "180", "--patience", "0"], "'--patience'", "x>0"),
        (["--rate", "200/h", "--aht", "180", "--max-agents", "0"], "'--max-agents'", "x>=1"),
    ],
)
def test_bad_input_names_the_option_and_the_accepted_forms(
    args: list[str], option: str, hint: str
) -> None:
    result = erlang(*args)
    assert result.exit_code == 2
    assert f"Invalid value for {option}" in result.output
    assert hint in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, ValueError)


def test_a_missing_rate_is_a_usage_error() -> None:
    result = erlang("--aht", "180")
    assert result.exit_code == 2
    assert "Missing option '--rate'" in result.output


def test_an_infinite_patience_is_refused_plainly() -> None:
    result = erlang("--rate", "200/h", "--aht", "180", "--patience", "inf")
    assert result.exit_code == 1
    assert "Error: patience must be a finite number" in result.output
    assert "Traceback" not in result.output
