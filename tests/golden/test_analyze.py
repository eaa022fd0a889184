"""`analyze` of the engine's own output agrees exactly with the metrics of its published records;
Amazon's documented ACW example gives Amazon's 5.005 s; the report needs no network."""

from __future__ import annotations

import copy
import csv
import gzip
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest

from switchboard.analytics.analyze import OUTPUTS, analyze
from switchboard.analytics.historical import (
    ACW_HEADER,
    AGENT_ACTIVITY_HEADER,
    STATUS_TIME_HEADER,
    compute,
)
from switchboard.analytics.published import PublishedRecords
from switchboard.sim.script import load_script, run_script_to_dir
from tests.golden.records import EXAMPLES, STORIES, acw_from_stream, run_example, seconds
from tests.golden.test_decoders import SAMPLE_B


def engine_run(story: str, folder: Path) -> PublishedRecords:
    """Run an example into `folder` (as `switchboard run` does) and keep, in process, the records
    the engine published: the input of the engine's own historical metrics."""
    script = load_script(EXAMPLES / f"{story}.yaml")
    published = PublishedRecords(script.setup.settings)
    run_script_to_dir(
        script,
        folder,
        on_agent_event=published.on_agent_event,
        on_contact_record=published.on_contact_record,
    )
    return published


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def as_text(header: tuple[str, ...], rows: list[Any]) -> list[list[str]]:
    """Rows as csv writes and reads them back."""
    return [list(header), *([str(cell) for cell in row] for row in rows)]


# --- our own output -------------------------------------------------------------------------------


@pytest.mark.parametrize("story", STORIES)
@pytest.mark.parametrize(("interval", "time_zone"), [("15m", "UTC"), ("1h", "America/New_York")])
def test_analyze_of_a_run_equals_the_engines_own_metrics(
    tmp_path: Path, story: str, interval: str, time_zone: str
) -> None:
    """The files the engine wrote, read back by `analyze`, give exactly the metrics of the
    records the engine published in process (no JSON in between)."""
    published = engine_run(story, tmp_path / "run")
    expected = compute(
        published.agent_events,
        published.contact_records,
        interval=interval,
        time_zone=time_zone,
    )
    analysis = analyze([tmp_path / "run"], tmp_path / "out", interval=interval, time_zone=time_zone)
    out = tmp_path / "out"
    assert analysis.export.problems == []
    assert analysis.export.duplicates == 0
    assert len(analysis.export.agent_events) == len(published.agent_events)
    assert orjson.loads((out / "metrics.json").read_bytes()) == orjson.loads(expected.to_json())
    assert read_csv(out / "acw.csv") == as_text(ACW_HEADER, expected.acw_rows())
    assert read_csv(out / "status-time.csv") == as_text(
        STATUS_TIME_HEADER, expected.status_time_rows()
    )
    assert read_csv(out / "agent-activity.csv") == as_text(
        AGENT_ACTIVITY_HEADER, expected.agent_activity_rows()
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)


@pytest.mark.parametrize("story", STORIES)
def test_acw_csv_is_aws_method_and_agrees_with_the_contact_records(
    tmp_path: Path, story: str
) -> None:
    """Each row is what AWS's documented method gives on the raw stream (tests/golden/records.py),
    and its whole-second span is the contact record's AfterContactWorkDuration."""
    run = run_example(story, tmp_path / "run")
    analyze([run.folder], tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "acw.csv")[1:]
    by_aws = acw_from_stream(run.aes)
    assert {(arn, cid): float(s) for cid, _, arn, _, _, s in rows} == {
        key: span.seconds for key, span in by_aws.items()
    }
    for contact_id, username, arn, start, end, _ in rows:
        assert username == run.record(contact_id)["Agent"]["Username"]
        agent = run.record(contact_id)["Agent"]
        assert agent["ARN"] == arn
        whole = seconds(end[:19] + "Z") - seconds(start[:19] + "Z")
        assert whole == agent["AfterContactWorkDuration"]


def test_the_same_records_in_firehose_shapes_give_the_same_outputs(tmp_path: Path) -> None:
    """JSON Lines, or gzip of concatenated objects in Firehose's folders, or one JSON array."""
    run = run_example("inbound-call", tmp_path / "run")
    analyze([run.folder], tmp_path / "jsonl")
    firehose = tmp_path / "firehose" / "2026" / "01" / "05" / "09"
    firehose.mkdir(parents=True)
    half = len(run.aes_lines) // 2
    for name, lines in (
        ("aes-1", run.aes_lines[:half]),
        ("aes-2", run.aes_lines[half:]),
        ("ctr-1", run.ctr_lines),
    ):
        (firehose / f"{name}.gz").write_bytes(gzip.compress(b"".join(lines)))
    (tmp_path / "array.json").write_bytes(
        orjson.dumps(run.aes + run.ctr, option=orjson.OPT_INDENT_2)
    )
    analyze([tmp_path / "firehose"], tmp_path / "from-firehose")
    analyze([tmp_path / "array.json"], tmp_path / "from-array")
    for name in ("acw.csv", "status-time.csv", "agent-activity.csv", "metrics.json"):
        expected = (tmp_path / "jsonl" / name).read_bytes()
        assert (tmp_path / "from-firehose" / name).read_bytes() == expected, name
        assert (tmp_path / "from-array" / name).read_bytes() == expected, name


def test_records_delivered_twice_change_nothing(tmp_path: Path) -> None:
    run = run_example("missed-offer", tmp_path / "run")
    analyze([run.folder], tmp_path / "once")
    again = tmp_path / "again"
    again.mkdir()
    (again / "replay.jsonl").write_bytes(run.aes_bytes + run.ctr_bytes)
    analysis = analyze([run.folder, again], tmp_path / "twice")
    assert analysis.export.duplicates == len(run.aes_lines) + len(run.ctr_lines)
    for name in ("acw.csv", "metrics.json"):
        assert (tmp_path / "twice" / name).read_bytes() == (tmp_path / "once" / name).read_bytes()


# --- Amazon's own example -------------------------------------------------------------------------


def aws_acw_example() -> list[dict[str, Any]]:
    """S-ACW's worked example on the captured record of reference §3.5 (as test_decoders builds
    it): CONNECTED at 18:55:21.011, ENDED at 18:55:27.017, cleared at 18:55:32.022."""
    base = copy.deepcopy(SAMPLE_B)
    contact = base["PreviousAgentSnapshot"]["Contacts"][0]
    contact |= {
        "InitiationMethod": "OUTBOUND",
        "QueueTimestamp": None,
        "ConnectedToAgentTimestamp": "2019-05-25T18:55:21.011Z",
    }
    talking = copy.deepcopy(base["PreviousAgentSnapshot"])
    talking["Contacts"][0] |= {
        "State": "CONNECTED",
        "StateStartTimestamp": "2019-05-25T18:55:21.011Z",
    }
    ended = copy.deepcopy(talking)
    ended["Contacts"][0] |= {"State": "ENDED", "StateStartTimestamp": "2019-05-25T18:55:27.017Z"}
    empty = copy.deepcopy(ended)
    empty["Contacts"] = []
    return [
        base
        | {
            "EventId": "aws-acw-ended",
            "EventTimestamp": "2019-05-25T18:55:27.017Z",
            "PreviousAgentSnapshot": talking,
            "CurrentAgentSnapshot": ended,
        },
        base
        | {
            "EventId": "aws-acw-cleared",
            "EventTimestamp": "2019-05-25T18:55:32.022Z",
            "PreviousAgentSnapshot": ended,
            "CurrentAgentSnapshot": empty,
        },
    ]


def test_amazons_acw_example_gives_5005_seconds(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_bytes(orjson.dumps(aws_acw_example()))  # as a JSON array, for a change
    analysis = analyze([export], tmp_path / "out")
    assert analysis.export.problems == []
    assert read_csv(tmp_path / "out" / "acw.csv") == [
        [
            "ContactId",
            "Username",
            "AgentARN",
            "AfterContactWorkStart",
            "AfterContactWorkEnd",
            "Seconds",
        ],
        [
            "e848581d-df3f-4096-af25-1abb4fa3cfc5",
            "user1",
            SAMPLE_B["AgentARN"],
            "2019-05-25T18:55:27.017Z",
            "2019-05-25T18:55:32.022Z",
            "5.005",
        ],
    ]


# --- the report -----------------------------------------------------------------------------------

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_SVG_LEAVES = frozenset({"line", "rect", "circle", "polyline", "polygon", "path"})


class _Checker(HTMLParser):
    """Nesting, headings, table headers and every URL-bearing attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: dict[str, int] = {}
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name in {"href", "src", "srcset", "action", "xlink:href", "data", "poster"}:
                self.urls.append(value or "")
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]!r}")
            return
        self.stack.pop()


def check_page(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    return checker


def test_the_report_is_one_page_that_fetches_nothing(tmp_path: Path) -> None:
    for story in ("inbound-call", "break-outbound", "abandoned-call"):
        run_example(story, tmp_path / "runs" / story)
    analyze([tmp_path / "runs"], tmp_path / "out", interval="1h", time_zone="Europe/London")
    text = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "http://" not in text
    assert "https://" not in text
    page = check_page(text)
    assert all(url.startswith(("#", "data:text/csv")) for url in page.urls), page.urls
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert page.tags["h1"] == 1
    assert page.tags["h2"] == 4
    assert page.tags["svg"] == page.tags["figure"] >= 4
    assert page.tags["table"] == 4
    assert page.tags["th"] > 20
    assert "Europe/London" in text
    for activity in ("On contact", "After contact work", "Available", "Break", "Offline"):
        assert f"{activity}</li>" in text  # the name beside its colour in the legend


def test_an_agent_with_no_contact_records_still_makes_a_report(tmp_path: Path) -> None:
    run = run_example("next-status", tmp_path / "run")
    (tmp_path / "aes-only.jsonl").write_bytes(run.aes_bytes)
    analysis = analyze([tmp_path / "aes-only.jsonl"], tmp_path / "out")
    assert analysis.metrics is not None
    check_page((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
