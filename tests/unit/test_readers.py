"""Reading Connect exports in the shapes real exports come in, telling the record kinds apart by
content, skipping duplicates, and reporting what cannot be read with its file and line."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from switchboard.analytics.readers import (
    UNKNOWN_KIND,
    ExportReader,
    Problem,
    iter_objects,
    read_exports,
)
from switchboard.formats.aes import decode_agent_event_line
from switchboard.formats.ctr import decode_contact_record_line
from tests.golden.records import run_example
from tests.golden.test_decoders import SAMPLE_A, SAMPLE_B, SAMPLE_CTR


def aes(event_id: str, at: str = "2019-01-21T09:16:02.002Z", **extra: Any) -> dict[str, Any]:
    """Amazon's captured STATE_CHANGE (reference §3.5) with its own EventId and time."""
    return copy.deepcopy(SAMPLE_B) | {"EventId": event_id, "EventTimestamp": at} | extra


def ctr(contact_id: str, updated: str = "2022-04-08T15:03:02Z", **extra: Any) -> dict[str, Any]:
    """Amazon's sample contact record (reference §4.7) with its own ContactId and update time."""
    return (
        copy.deepcopy(SAMPLE_CTR)
        | {"ContactId": contact_id, "LastUpdateTimestamp": updated}
        | extra
    )


def jsonl(*records: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


RECORDS = (aes("e1"), ctr("c1"), aes("e2", "2019-01-21T09:17:00.000Z"), ctr("c2"))


def kinds(path: Path) -> tuple[list[str], list[str]]:
    export = read_exports([path])
    assert export.problems == []
    return (
        [e.event_id for e in export.agent_events],
        [r.contact_id for r in export.contact_records],
    )


# --- shapes ---------------------------------------------------------------------------------------


def test_json_lines_with_both_kinds_in_one_file(tmp_path: Path) -> None:
    path = write(tmp_path / "mixed.jsonl", jsonl(*RECORDS))
    assert kinds(path) == (["e1", "e2"], ["c1", "c2"])


def test_a_json_array_compact_or_pretty_printed(tmp_path: Path) -> None:
    compact = write(tmp_path / "compact.json", orjson.dumps(list(RECORDS)))
    pretty = write(
        tmp_path / "pretty.json", orjson.dumps(list(RECORDS), option=orjson.OPT_INDENT_2)
    )
    assert kinds(compact) == (["e1", "e2"], ["c1", "c2"])
    assert kinds(pretty) == (["e1", "e2"], ["c1", "c2"])


def test_objects_concatenated_with_no_separator_as_firehose_writes_them(tmp_path: Path) -> None:
    path = write(tmp_path / "firehose-1-2019-01-21", b"".join(orjson.dumps(r) for r in RECORDS))
    assert kinds(path) == (["e1", "e2"], ["c1", "c2"])


@pytest.mark.parametrize("separator", [b"\n", b" ", b"\r\n", b"\n\n", b","])
def test_concatenated_objects_with_whitespace_between(tmp_path: Path, separator: bytes) -> None:
    path = write(tmp_path / "records", separator.join(orjson.dumps(r) for r in RECORDS))
    assert kinds(path) == (["e1", "e2"], ["c1", "c2"])


def test_pretty_printed_objects_one_after_another(tmp_path: Path) -> None:
    """What `jq .` writes for a stream of records."""
    text = b"\n".join(orjson.dumps(r, option=orjson.OPT_INDENT_2) for r in RECORDS)
    assert kinds(write(tmp_path / "jq.json", text)) == (["e1", "e2"], ["c1", "c2"])


def test_a_closing_and_opening_brace_inside_a_string_do_not_split_a_record(
    tmp_path: Path,
) -> None:
    tricky = ctr("c1", Attributes={"note": 'he typed }{ and "}{" and \\"}{'})
    path = write(tmp_path / "records", orjson.dumps(tricky) + orjson.dumps(ctr("c2")))
    export = read_exports([path])
    assert export.problems == []
    assert [r.contact_id for r in export.contact_records] == ["c1", "c2"]


def test_gzip_files_are_read_by_content_whatever_their_name(tmp_path: Path) -> None:
    path = write(tmp_path / "records-without-suffix", gzip.compress(jsonl(*RECORDS)))
    assert kinds(path) == (["e1", "e2"], ["c1", "c2"])


def test_gzip_of_concatenated_objects_and_of_several_members(tmp_path: Path) -> None:
    first = gzip.compress(orjson.dumps(RECORDS[0]) + orjson.dumps(RECORDS[1]))
    second = gzip.compress(orjson.dumps(RECORDS[2]) + orjson.dumps(RECORDS[3]))
    assert kinds(write(tmp_path / "two-members.gz", first + second)) == (
        ["e1", "e2"],
        ["c1", "c2"],
    )


def test_a_truncated_gzip_file_gives_its_complete_records_and_a_problem(tmp_path: Path) -> None:
    whole = gzip.compress(jsonl(*(aes(f"e{i}") for i in range(200))))
    path = write(tmp_path / "cut.gz", whole[: len(whole) * 2 // 3])
    export = read_exports([path])
    assert 0 < len(export.agent_events) < 200
    messages = [str(p) for p in export.problems]
    assert f"{path}: the gzip file is truncated; its complete records were read" in messages


def test_folders_are_read_recursively_in_path_order(tmp_path: Path) -> None:
    """Firehose's layout: prefix/YYYY/MM/DD/HH/objects; hidden files and reports are skipped."""
    write(
        tmp_path / "2019/01/21/10/b.gz",
        gzip.compress(jsonl(aes("late", "2019-01-21T10:00:00.000Z"))),
    )
    write(tmp_path / "2019/01/21/09/a", orjson.dumps(RECORDS[0]) + orjson.dumps(RECORDS[1]))
    write(tmp_path / "2019/01/21/09/.partial", b"garbage")
    write(tmp_path / ".cache/x.jsonl", jsonl(aes("hidden")))
    write(tmp_path / "report.html", b"<html></html>")
    write(tmp_path / "acw.csv", b"a,b\n")
    export = read_exports([tmp_path])
    assert export.problems == []
    assert export.files == 2
    assert [e.event_id for e in export.agent_events] == ["e1", "late"]
    assert [r.contact_id for r in export.contact_records] == ["c1"]


def test_several_inputs_files_and_folders_together(tmp_path: Path) -> None:
    one = write(tmp_path / "one.jsonl", jsonl(RECORDS[0]))
    write(tmp_path / "folder/two.jsonl", jsonl(RECORDS[1]))
    export = read_exports([one, tmp_path / "folder"])
    assert (len(export.agent_events), len(export.contact_records)) == (1, 1)


def test_a_byte_order_mark_and_blank_lines_are_no_content(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bom.jsonl",
        b"\xef\xbb\xbf" + jsonl(RECORDS[0]) + b"\n\n  \n" + jsonl(RECORDS[1]),
    )
    assert kinds(path) == (["e1"], ["c1"])


# --- kinds and fields -----------------------------------------------------------------------------


def test_unknown_fields_are_ignored_at_every_level(tmp_path: Path) -> None:
    event = aes("e1", NewTopLevel={"x": 1})
    event["CurrentAgentSnapshot"]["Configuration"]["Proficiencies"] = [
        {"Level": 3.0, "Name": "Technology", "Value": "Kinesis"}
    ]
    event["PreviousAgentSnapshot"]["Contacts"][0]["SomethingNew"] = True
    record = ctr("c1", Campaign={"CampaignId": "x"}, NewField=[1, 2])
    record["Agent"]["StateTransitions"] = []
    export = read_exports([write(tmp_path / "new.jsonl", jsonl(event, record))])
    assert export.problems == []
    assert export.agent_events[0].event_id == "e1"
    assert export.contact_records[0].agent is not None


def test_the_kind_is_told_by_content(tmp_path: Path) -> None:
    """The official sample (a HEART_BEAT without `Type`) and a record with only InitiationMethod."""
    bare_ctr = {"ContactId": "c9", "InitiationMethod": "INBOUND", "Channel": "VOICE"}
    export = read_exports([write(tmp_path / "x.json", jsonl(SAMPLE_A, bare_ctr))])
    assert export.problems == []
    assert [e.event_type for e in export.agent_events] == ["HEART_BEAT"]
    assert [r.contact_id for r in export.contact_records] == ["c9"]


def test_an_object_of_neither_kind_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", jsonl(RECORDS[0], {"hello": "world"}, RECORDS[1]))
    export = read_exports([path])
    assert export.problems == [Problem(str(path), 2, UNKNOWN_KIND)]
    assert (len(export.agent_events), len(export.contact_records)) == (1, 1)


# --- duplicates -----------------------------------------------------------------------------------


def test_an_agent_event_delivered_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", jsonl(aes("e1"), aes("e2"), aes("e1")))
    write(tmp_path / "b.jsonl", jsonl(aes("e2")))
    export = read_exports([tmp_path])
    assert [e.event_id for e in export.agent_events] == ["e1", "e2"]
    assert (export.duplicate_events, export.duplicates, export.objects) == (2, 2, 4)


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_contact_record_keeps_its_latest_update(tmp_path: Path, newest_first: bool) -> None:
    versions = [
        ctr("c1", "2022-04-08T15:01:22Z", DisconnectReason=None),
        ctr("c1", "2022-04-08T15:03:02Z", DisconnectReason="CUSTOMER_DISCONNECT"),
    ]
    if newest_first:
        versions.reverse()
    export = read_exports([write(tmp_path / "c.jsonl", jsonl(*versions, ctr("c2")))])
    assert [r.contact_id for r in export.contact_records] == ["c1", "c2"]
    assert export.contact_records[0].disconnect_reason == "CUSTOMER_DISCONNECT"
    assert export.duplicate_records == 1


def test_a_contact_record_updated_at_the_same_second_keeps_the_first_read(tmp_path: Path) -> None:
    first = ctr("c1", DisconnectReason="AGENT_DISCONNECT")
    again = ctr("c1", DisconnectReason="CUSTOMER_DISCONNECT")
    export = read_exports([write(tmp_path / "c.jsonl", jsonl(first, again))])
    assert export.contact_records[0].disconnect_reason == "AGENT_DISCONNECT"


# --- order ----------------------------------------------------------------------------------------


def test_agent_events_come_out_in_time_order_keeping_same_instant_order(tmp_path: Path) -> None:
    same = "2019-01-21T09:00:00.000Z"
    write(tmp_path / "1.jsonl", jsonl(aes("late", "2019-01-21T11:00:00.000Z"), aes("x", same)))
    write(tmp_path / "2.jsonl", jsonl(aes("y", same), aes("early", "2019-01-21T08:00:00.000Z")))
    export = read_exports([tmp_path])
    assert [e.event_id for e in export.agent_events] == ["early", "x", "y", "late"]


# --- problems -------------------------------------------------------------------------------------


def test_malformed_lines_are_reported_with_file_and_line_and_good_ones_kept(
    tmp_path: Path,
) -> None:
    bad_time = aes("e3", "yesterday")
    no_contact_id = {k: v for k, v in ctr("c9").items() if k != "ContactId"}
    lines = [
        orjson.dumps(aes("e1")),
        orjson.dumps(aes("e2"))[:50],  # truncated
        orjson.dumps(bad_time),
        b"42",
        orjson.dumps(no_contact_id),
        orjson.dumps(ctr("c1")),
        b'{"EventType": "LOGIN", "AgentARN": "arn", tru}',
        orjson.dumps(aes("e4", "2019-01-21T09:20:00.000Z")),
    ]
    path = write(tmp_path / "export.jsonl", b"\n".join(lines) + b"\n")
    export = read_exports([path])
    assert [e.event_id for e in export.agent_events] == ["e1", "e4"]
    assert [r.contact_id for r in export.contact_records] == ["c1"]
    where = [(p.source, p.line) for p in export.problems]
    assert where == [(str(path), n) for n in (2, 3, 4, 5, 7)]
    texts = [str(p) for p in export.problems]
    assert texts[0].startswith(f"{path}:2: not JSON")
    assert "EventTimestamp" in texts[1]  # the decoder names the bad field
    assert texts[2] == f"{path}:4: not a JSON object"
    assert texts[3] == f"{path}:5: {UNKNOWN_KIND}"  # without ContactId it is no record at all


def test_a_malformed_record_among_concatenated_ones_is_reported_at_its_first_line(
    tmp_path: Path,
) -> None:
    broken = orjson.dumps(aes("e2"), option=orjson.OPT_INDENT_2).replace(
        b'"STATE_CHANGE"', b"STATE"
    )
    text = b"".join(
        [
            orjson.dumps(aes("e1"), option=orjson.OPT_INDENT_2),
            b"\n",
            broken,
            orjson.dumps(aes("e3")),
        ]
    )
    path = write(tmp_path / "stream", text)
    export = read_exports([path])
    assert [e.event_id for e in export.agent_events] == ["e1", "e3"]
    first_line = text[: text.index(broken)].count(b"\n") + 1
    assert [(p.line, p.message.split(":")[0]) for p in export.problems] == [
        (first_line, "not JSON")
    ]


def test_a_record_with_a_bad_field_names_it_with_its_line(tmp_path: Path) -> None:
    record = ctr("c1")
    record["Queue"]["EnqueueTimestamp"] = "soon"
    path = write(tmp_path / "c.jsonl", jsonl(ctr("c0"), record))
    (problem,) = read_exports([path]).problems
    assert (problem.line, "EnqueueTimestamp" in problem.message) == (2, True)


def test_a_missing_path_and_an_unreadable_gzip_are_problems(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.gz", b"\x1f\x8b" + b"not really gzip")
    export = read_exports([tmp_path / "nowhere", bad])
    assert str(export.problems[0]) == f"{tmp_path / 'nowhere'}: no such file or folder"
    assert export.problems[1].source == str(bad)
    assert export.problems[1].line is None
    assert "gzip" in export.problems[1].message
    assert export.records == 0


def test_reading_bytes_in_memory_names_the_given_source() -> None:
    reader = ExportReader()
    reader.read_bytes(jsonl(RECORDS[0]) + b"oops\n", "s3://bucket/key")
    export = reader.result()
    assert [str(p) for p in export.problems] == ["s3://bucket/key:2: not a JSON object"]


# --- the object splitter --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"a":1}{"b":2}\n{"c":\n 3}\n', [(1, {"a": 1}), (1, {"b": 2}), (2, {"c": 3})]),
        (b'[{"a":1},\n {"b":"}{x"}]', [(1, {"a": 1}), (2, {"b": "}{x"})]),
        # a nested object alone on its line belongs to the object around it
        (b'{"a":[\n{"x":1}\n]}\n{"y":2}\n', [(1, {"a": [{"x": 1}]}), (4, {"y": 2})]),
        (b'{"a":1} {"b":2} ,{"c":3}', [(1, {"a": 1}), (1, {"b": 2}), (1, {"c": 3})]),
    ],
)
def test_iter_objects_finds_each_object_and_the_line_it_starts_on(
    text: bytes, expected: list[tuple[int, dict[str, Any]]]
) -> None:
    assert [(line, value) for line, value, _ in iter_objects(text)] == expected


def test_a_truncated_line_does_not_swallow_the_lines_after_it() -> None:
    found = list(iter_objects(b'{"a":{"b"\n{"c":1}\n{"d":1}\n'))
    assert [(line, value) for line, value, _ in found] == [(1, None), (2, {"c": 1}), (3, {"d": 1})]


def test_records_read_equal_the_decoders_output_line_by_line(tmp_path: Path) -> None:
    """The reader shares a decoded snapshot between a record and the next one's previous; what
    it returns must equal decoding every line on its own."""
    for story in ("inbound-call", "two-chats", "next-status"):
        run = run_example(story, tmp_path / story)
        export = read_exports([run.folder])
        assert export.agent_events == [decode_agent_event_line(line) for line in run.aes_lines]
        assert export.contact_records == [
            decode_contact_record_line(line) for line in run.ctr_lines
        ]


def test_a_simulate_output_folder_reads_without_problems(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text('{"queues": {}, "agents": {}, "run": {}}\n')
    (tmp_path / "metrics.json").write_text('{"intervals": []}\n')
    (tmp_path / "records.jsonl").write_text(" \n")
    export = read_exports([tmp_path])
    assert export.problems == []
