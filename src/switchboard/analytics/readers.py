"""Reading Connect exports: agent events and contact records from files and folders, in any shape.

Real exports come as JSON Lines, a JSON array, objects concatenated with no separator (as Kinesis
Firehose writes them to S3), pretty-printed objects one after another, gzip files of any of these,
and folders of them. A record's kind is told by its content, not its file name: an agent event
has `EventType` and `AgentARN`; a contact record has `ContactId` and
`AWSContactTraceRecordFormatVersion` or `InitiationMethod`. Unknown fields are ignored (the
decoders in `formats/` read what they know).

Delivery is at least once (DESIGN §5), so duplicates are skipped: an agent event whose `EventId` was
already read, and every version of a contact record but the one with the greatest
`LastUpdateTimestamp` (the first read wins a tie). A record that cannot be read is reported as a
`Problem` with its file and line (for an object spread over lines or sharing one, the line where
it starts; in a gzip file, the line of the decompressed text) and reading goes on.
"""

from __future__ import annotations

import gc
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson

from switchboard.domain.model import Millis
from switchboard.formats.aes import DecodedAgentEvent, DecodedSnapshot, decode_agent_event
from switchboard.formats.ctr import DecodedContactRecord, decode_contact_record
from switchboard.formats.malformed import MalformedRecord

NOT_EXPORTS = frozenset(
    {".csv", ".htm", ".html", ".md", ".parquet", ".py", ".txt", ".yaml", ".yml"}
)
"""Suffixes of files that a folder may hold beside its exports (reports, notes, scripts); they are
skipped when a folder is read. Anything else is read: Firehose names its objects with no suffix."""

OUR_REPORTS = frozenset({"summary.json", "metrics.json"})
"""What `simulate` and `analyze` write beside the records: skipped in folders, so that their output
folders can be analysed as they are."""

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_OPEN_BRACE = 0x7B  # b"{"
_BLANK = b" \t\r\n"

# Where one top-level object may end and the next begin: a `}` then whitespace or commas (between
# concatenated objects or array items) then `{`, or a `{` at the start of a line (so that a
# truncated record does not swallow the next one). Inside valid JSON, `}` followed by `{` occurs
# only in strings, and a `{` opens a line only in unusual layouts: such false boundaries are
# repaired by joining pieces again until the braces balance (`_join`).
_BOUNDARY = re.compile(rb"(\})[\s,]*\{|\n(?=\{)")
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STRUCTURE = re.compile(rb'["{}\[\]]')
_JOIN_LIMIT = 1 << 20
"""How far (bytes) pieces are joined to close an object left open before it is reported."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A record, or a whole file, that could not be read: where it is and what is wrong."""

    source: str
    line: int | None
    """1-based; None when the problem is the whole file's (unreadable, not gzip, ...)."""
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Export:
    """What a set of export files held, deduplicated, with what could not be read."""

    agent_events: list[DecodedAgentEvent] = field(default_factory=list)
    """In time order; records of the same instant keep the order they were read in."""
    contact_records: list[DecodedContactRecord] = field(default_factory=list)
    """One per ContactId, in the order each ContactId was first read."""
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    bytes_read: int = 0
    """Bytes of the files as stored (compressed for gzip files)."""
    objects: int = 0
    """JSON objects found, whether kept, duplicate or malformed."""
    duplicate_events: int = 0
    duplicate_records: int = 0

    @property
    def duplicates(self) -> int:
        return self.duplicate_events + self.duplicate_records

    @property
    def records(self) -> int:
        """Records kept: agent events plus contact records."""
        return len(self.agent_events) + len(self.contact_records)

    def time_span(self) -> tuple[Millis, Millis] | None:
        """The first and last instant any kept record names (event times, contact start/end)."""
        times = [e.at for e in self.agent_events[:1]] + [e.at for e in self.agent_events[-1:]]
        for record in self.contact_records:
            for at in (record.initiated_at, record.disconnect_at, record.last_update_at):
                if at is not None:
                    times.append(at)
        if not times:
            return None
        return min(times), max(times)


# --- files --------------------------------------------------------------------------------------


def export_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """The files to read: files as named, and folders walked recursively in path order.

    In folders, hidden entries (a name starting with `.`), our own reports (`OUR_REPORTS`) and
    files with a suffix in `NOT_EXPORTS` are skipped. A path that does not exist is a problem.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    found
                    for found in path.rglob("*")
                    if found.is_file()
                    and not any(part.startswith(".") for part in found.relative_to(path).parts)
                    and found.suffix.lower() not in NOT_EXPORTS
                    and found.name not in OUR_REPORTS
                )
            )
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(path), None, "no such file or folder"))
    return files, problems


def gunzip(data: bytes) -> tuple[bytes, str | None]:
    """The text of a gzip file (all its members), and what was wrong if it is damaged.

    A truncated file gives what could be decompressed, so its complete records are still read.
    """
    parts: list[bytes] = []
    rest = data
    while rest[:2] == _GZIP_MAGIC:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            parts.append(inflater.decompress(rest))
        except zlib.error as bad:
            return b"".join(parts), f"not a valid gzip file: {bad}"
        if not inflater.eof:
            return b"".join(parts), "the gzip file is truncated; its complete records were read"
        rest = inflater.unused_data
    if rest.strip(b"\0" + _BLANK):
        return b"".join(parts), "bytes after the end of the gzip data were ignored"
    return b"".join(parts), None


# --- objects in a text ----------------------------------------------------------------------------

Found = tuple[int, dict[str, Any] | None, str | None]
"""`(line, object, None)` for an object found, `(line, None, message)` for text that is not one."""


def iter_objects(data: bytes) -> Iterator[Found]:
    """Every top-level JSON object in `data`, with the line it starts on.

    The common shape, one object per line, is read line by line; runs of lines that are not one
    object each (concatenated, pretty-printed or array text, or a broken line) are split into
    objects by `_region`.
    """
    if data.startswith(_BOM):
        data = b" " * len(_BOM) + data[len(_BOM) :]  # keep offsets; a BOM is no content
    view = memoryview(data)
    loads = orjson.loads
    find = data.find
    size = len(data)
    position = 0
    number = 0
    region_start = -1  # the first line of a run of lines that are not one object each
    region_line = 0
    scanned = 0  # the run is scanned up to here (only when needed: scanning is slow) ...
    depth = 0  # ... giving its brace depth there; > 0 while an object in it is still open
    while position < size:
        number += 1
        end = find(b"\n", position)
        if end < 0:
            end = size
        if data[position] == _OPEN_BRACE:
            try:
                value = loads(view[position:end])
            except orjson.JSONDecodeError:
                value = None
            if value.__class__ is dict:
                if region_start >= 0 and position - region_start <= _JOIN_LIMIT:
                    # a whole object on its line, unless it is nested in an open one of the run
                    depth, in_string = _scan(data, scanned, position, depth, False)
                    scanned = position
                    if in_string:  # a line cannot end inside a JSON string: broken before
                        depth = 0
                if region_start < 0 or depth <= 0 or position - region_start > _JOIN_LIMIT:
                    if region_start >= 0:
                        yield from _region(data, region_start, position, region_line)
                        region_start = -1
                    yield number, value, None
                    position = end + 1
                    continue
        if region_start < 0 and data[position:end].strip(_BLANK):
            region_start, region_line, scanned, depth = position, number, position, 0
        position = end + 1
    if region_start >= 0:
        yield from _region(data, region_start, size, region_line)


def _region(data: bytes, start: int, end: int, line: int) -> Iterator[Found]:
    """The objects in `data[start:end]`, which is not one object per line."""
    first = data.find(b"{", start, end)
    lead_end = end if first < 0 else first
    if data[start:lead_end].strip(_BLANK + b"[,"):
        yield line, None, "not a JSON object"
    if first < 0:
        return
    starts = [first]
    ends: list[int] = []
    for match in _BOUNDARY.finditer(data, first, end):
        if match.group(1) is not None:  # "}" ... "{"
            ends.append(match.start() + 1)
            starts.append(match.end() - 1)
        else:  # "\n" before "{"
            ends.append(match.start())
            starts.append(match.end())
    tail = data[starts[-1] : end].rstrip(_BLANK + b",]")
    ends.append(starts[-1] + len(tail))
    view = memoryview(data)
    counted = start
    index = 0
    while index < len(starts):
        piece_start = starts[index]
        line += data.count(b"\n", counted, piece_start)
        counted = piece_start
        try:
            value = orjson.loads(view[piece_start : ends[index]])
        except orjson.JSONDecodeError as bad:
            joined = _join(data, starts, ends, index)
            if joined is None:  # never closes: a truncated object, only this piece is lost
                yield line, None, _not_json(bad)
                index += 1
            else:
                value, index, error = joined
                yield line, value, error
            continue
        yield line, value, None
        index += 1


def _not_json(bad: orjson.JSONDecodeError) -> str:
    """orjson's message, placed within the object (the problem's line is where it starts)."""
    if bad.lineno == 1:
        return f"not JSON: {bad.msg} (column {bad.colno})"
    return f"not JSON: {bad.msg} (its line {bad.lineno}, column {bad.colno})"


def _join(
    data: bytes, starts: list[int], ends: list[int], index: int
) -> tuple[dict[str, Any] | None, int, str | None] | None:
    """The object that starts at piece `index`, when that piece alone is not one.

    A piece may end at a false boundary (inside a string, or between objects nested in an
    array): pieces are added while the text is still open (a string or a brace unclosed). Once
    it closes, it is one object, good or malformed: `(object, next index, None)` or
    `(None, next index, message)`. None when it never closes (a truncated object).
    """
    start = starts[index]
    depth, in_string = _scan(data, start, ends[index], 0, False)
    later = index
    while depth > 0 or in_string:
        later += 1
        if later == len(starts) or ends[later] - start > _JOIN_LIMIT:
            return None
        depth, in_string = _scan(data, ends[later - 1], ends[later], depth, in_string)
    if later == index or depth < 0:
        return None  # balanced on its own (or over-closed): the piece itself is malformed
    try:
        value = orjson.loads(memoryview(data)[start : ends[later]])
    except orjson.JSONDecodeError as bad:
        return None, later + 1, _not_json(bad)
    return value, later + 1, None


def _scan(data: bytes, position: int, end: int, depth: int, in_string: bool) -> tuple[int, bool]:
    """Brace depth and whether a string is open after `data[position:end]`, from a given state."""
    while True:
        if in_string:
            closed = _STRING_REST.match(data, position, end)
            if closed is None:
                return depth, True
            position = closed.end()
            in_string = False
        mark = _STRUCTURE.search(data, position, end)
        if mark is None:
            return depth, False
        position = mark.end()
        char = data[mark.start()]
        if char == 0x22:  # "
            in_string = True
        elif char in (0x7B, 0x5B):  # { [
            depth += 1
        else:
            depth -= 1


# --- records --------------------------------------------------------------------------------------


def is_agent_event(raw: dict[str, Any]) -> bool:
    return "EventType" in raw and "AgentARN" in raw


def is_contact_record(raw: dict[str, Any]) -> bool:
    return "ContactId" in raw and (
        "AWSContactTraceRecordFormatVersion" in raw or "InitiationMethod" in raw
    )


UNKNOWN_KIND = (
    "unknown record kind: neither an agent event (EventType, AgentARN) nor a contact record "
    "(ContactId with AWSContactTraceRecordFormatVersion or InitiationMethod)"
)


class ExportReader:
    """Reads export files one after another into one deduplicated `Export`."""

    def __init__(self) -> None:
        self._export = Export()
        self._event_ids: set[str] = set()
        self._contacts: dict[str, DecodedContactRecord] = {}
        self._last_snapshot: dict[str, tuple[Any, DecodedSnapshot]] = {}
        """Per AgentARN: the raw and decoded `CurrentAgentSnapshot` of its last record read."""

    def _decode_event(self, raw: dict[str, Any]) -> DecodedAgentEvent:
        """`decode_agent_event`, reusing the decoded snapshot the previous record carried.

        A record's `PreviousAgentSnapshot` is, in order, the `CurrentAgentSnapshot` of the
        agent's record before it (a HEART_BEAT's two snapshots are that same one): when the raw
        snapshot is equal, its decoded form is shared instead of decoded again. That is a
        quarter of the decoding time, and the memory of one snapshot per record.
        """
        arn = raw["AgentARN"]
        last = self._last_snapshot.get(arn) if arn.__class__ is str else None
        if last is None:
            event = decode_agent_event(raw)
        else:
            raw_last, decoded_last = last
            same_previous = raw.get("PreviousAgentSnapshot") == raw_last
            same_current = same_previous and raw.get("CurrentAgentSnapshot") == raw_last
            if not same_previous:
                event = decode_agent_event(raw)
            else:
                trimmed = dict(raw, PreviousAgentSnapshot=None)
                if same_current:
                    trimmed["CurrentAgentSnapshot"] = None
                decoded = decode_agent_event(trimmed)
                event = DecodedAgentEvent(
                    event_id=decoded.event_id,
                    event_type=decoded.event_type,
                    at=decoded.at,
                    agent_arn=decoded.agent_arn,
                    instance_arn=decoded.instance_arn,
                    current=decoded_last if same_current else decoded.current,
                    previous=decoded_last,
                )
        if event.current is not None and arn.__class__ is str:
            self._last_snapshot[arn] = (raw.get("CurrentAgentSnapshot"), event.current)
        return event

    def report(self, problem: Problem) -> None:
        self._export.problems.append(problem)

    def read_path(self, path: Path) -> None:
        """One file; gzip is recognised by its content, not its name."""
        try:
            data = path.read_bytes()
        except OSError as bad:
            self.report(Problem(str(path), None, f"cannot read: {bad.strerror}"))
            return
        self.read_bytes(data, str(path))

    def read_bytes(self, data: bytes, source: str) -> None:
        """Export text already in memory (gzip or not), reported as coming from `source`."""
        self._export.files += 1
        self._export.bytes_read += len(data)
        if data[:2] == _GZIP_MAGIC:
            data, damage = gunzip(data)
            if damage is not None:
                self.report(Problem(source, None, damage))
        self._read_text(data, source)

    def _read_text(self, data: bytes, source: str) -> None:
        export = self._export
        problems = export.problems
        events = export.agent_events
        event_ids = self._event_ids
        contacts = self._contacts
        objects = 0
        for line, raw, message in iter_objects(data):
            if raw is None:
                problems.append(Problem(source, line, message or "not a JSON object"))
                continue
            objects += 1
            if is_agent_event(raw):
                event_id = raw.get("EventId")
                if event_id.__class__ is str and event_id in event_ids:
                    export.duplicate_events += 1
                    continue
                try:
                    event = self._decode_event(raw)
                except MalformedRecord as bad:
                    problems.append(Problem(source, line, str(bad)))
                    continue
                if event.event_id in event_ids:  # an EventId that was not a JSON string
                    export.duplicate_events += 1
                    continue
                event_ids.add(event.event_id)
                events.append(event)
            elif is_contact_record(raw):
                try:
                    record = decode_contact_record(raw)
                except MalformedRecord as bad:
                    problems.append(Problem(source, line, str(bad)))
                    continue
                kept = contacts.get(record.contact_id)
                if kept is not None:
                    export.duplicate_records += 1
                    if _updated(kept) >= _updated(record):
                        continue
                contacts[record.contact_id] = record
            else:
                problems.append(Problem(source, line, UNKNOWN_KIND))
        export.objects += objects

    def result(self) -> Export:
        """The export read so far: agent events in time order, one record per ContactId."""
        export = self._export
        export.agent_events.sort(key=attrgetter("at"))  # stable: same-instant order is kept
        export.contact_records = list(self._contacts.values())
        return export


def _updated(record: DecodedContactRecord) -> Millis:
    return record.last_update_at if record.last_update_at is not None else -(1 << 62)


@contextmanager
def paused_collector() -> Iterator[None]:
    """Pause the cyclic garbage collector while records pile up.

    Reading keeps every decoded record alive, so each collection walks all of them again and
    finds nothing to free: with the collector on, reading bench_analyze.py's 199k agent events
    took 6.8 s instead of 5.5 s (and keeping 200k parsed dicts, 5 times as long). Nothing read
    here makes a reference cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_exports(paths: Iterable[Path]) -> Export:
    """Read every export file under `paths` (files, or folders walked recursively)."""
    files, problems = export_files(paths)
    reader = ExportReader()
    for problem in problems:
        reader.report(problem)
    with paused_collector():
        for path in files:
            reader.read_path(path)
    return reader.result()


__all__ = [
    "NOT_EXPORTS",
    "OUR_REPORTS",
    "UNKNOWN_KIND",
    "Export",
    "ExportReader",
    "Found",
    "Problem",
    "export_files",
    "gunzip",
    "is_agent_event",
    "is_contact_record",
    "iter_objects",
    "paused_collector",
    "read_exports",
]
