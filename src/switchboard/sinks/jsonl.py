"""The JSONL sink: records appended to files per kind, fsynced before the offset is committed.

Two layouts. `files` (the default) keeps `agent-events.jsonl` and `contact-records.jsonl` in the
folder, one record per line, and rotates a full or past-the-hour file to `<stem>.<n>.jsonl` (n = 1,
2, …; read the rotated files in order, then the active one). `firehose` writes what Kinesis Data
Firehose delivers to S3: concatenated records, no separator, in objects under
`<prefix>/YYYY/MM/DD/HH/` (UTC hour of delivery) named `<stem>-YYYY-MM-DD-HH-MM-SS-<position>`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from switchboard.engine.outbox import OutboxRecord, RecordKind
from switchboard.sinks.base import STREAM_NAMES


class Layout(StrEnum):
    FILES = "files"
    FIREHOSE = "firehose"


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


def _fsync_dir(folder: Path) -> None:
    """Make a created or renamed file's directory entry durable too (POSIX)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hour(moment: datetime) -> tuple[int, int, int, int]:
    return (moment.year, moment.month, moment.day, moment.hour)


@dataclass(slots=True)
class _Open:
    path: Path
    file: BinaryIO
    size: int
    hour: tuple[int, int, int, int]
    pending: list[bytes] = field(default_factory=list)
    """Lines of this delivery not yet written: one write per file per batch, then fsync."""


class JsonlSink:
    """Connect's records as files in a folder (DESIGN §5, "Sinks"); see the module docstring."""

    def __init__(
        self,
        folder: Path,
        *,
        name: str = "jsonl",
        layout: Layout = Layout.FILES,
        max_bytes: int | None = None,
        hourly: bool = False,
        prefix: str = "",
        now: Callable[[], datetime] = utc_now,
        fsync: bool = True,
    ) -> None:
        self._name = name
        self._folder = folder
        self._layout = layout
        self._max_bytes = max_bytes
        # Firehose's folders are hours, so its objects always roll over with the hour.
        self._hourly = hourly or layout is Layout.FIREHOSE
        self._prefix = prefix
        self._now = now
        self._fsync = fsync
        self._open: dict[RecordKind, _Open] = {}

    @property
    def name(self) -> str:
        return self._name

    def deliver(self, records: Sequence[OutboxRecord]) -> None:
        touched: dict[RecordKind, _Open] = {}
        try:
            now = self._now()
            for record in records:
                kind = record.entry.kind
                payload = record.entry.payload
                line = payload if self._layout is Layout.FIREHOSE else payload + b"\n"
                current = touched.get(kind)
                if current is None or self._full(current, now, len(line)):
                    current = self._current(kind, now, record.position, len(line))
                    touched[kind] = current
                current.pending.append(line)
                current.size += len(line)
            for current in touched.values():
                self._sync(current)
        except BaseException:
            # A failed write leaves a file in an unknown state: reopen (and repair) next time.
            self._close_all()
            raise

    def close(self) -> None:
        for current in self._open.values():
            self._sync(current)
        self._close_all()

    def _sync(self, current: _Open) -> None:
        if current.pending:
            current.file.write(b"".join(current.pending))
            current.pending.clear()
        current.file.flush()
        if self._fsync:
            os.fsync(current.file.fileno())

    def _close_all(self) -> None:
        for current in self._open.values():
            current.file.close()
        self._open.clear()

    def _current(self, kind: RecordKind, now: datetime, position: int, size: int) -> _Open:
        current = self._open.get(kind)
        if current is not None and self._full(current, now, size):
            self._sync(current)
            current.file.close()
            del self._open[kind]
            if self._layout is Layout.FILES:
                self._rotate(current.path, STREAM_NAMES[kind])
            current = None
        if current is None:
            current = self._start(kind, now, position)
            self._open[kind] = current
        return current

    def _full(self, current: _Open, now: datetime, size: int) -> bool:
        if current.size == 0:
            return False
        if self._hourly and _hour(now) != current.hour:
            return True
        return self._max_bytes is not None and current.size + size > self._max_bytes

    def _start(self, kind: RecordKind, now: datetime, position: int) -> _Open:
        stem = STREAM_NAMES[kind]
        if self._layout is Layout.FIREHOSE:
            folder = self._folder / self._prefix / now.strftime("%Y/%m/%d/%H")
            folder.mkdir(parents=True, exist_ok=True)
            base = f"{stem}-{now.strftime('%Y-%m-%d-%H-%M-%S')}-{position}"
            path = folder / base
            n = 1
            while path.exists():  # a redelivery in the same second: never append to a torn object
                n += 1
                path = folder / f"{base}-{n}"
            opened = _Open(path, path.open("xb"), 0, _hour(now))
            _fsync_dir(folder)
            return opened
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"{stem}.jsonl"
        if path.exists():
            size = _repair(path)
            hour = _hour(datetime.fromtimestamp(path.stat().st_mtime, tz=UTC))
            if size > 0 and self._hourly and hour != _hour(now):
                self._rotate(path, stem)
                size = 0
            hour = _hour(now) if size == 0 else hour
        else:
            size, hour = 0, _hour(now)
        opened = _Open(path, path.open("ab"), size, hour)
        _fsync_dir(self._folder)
        return opened

    def _rotate(self, path: Path, stem: str) -> None:
        taken = [
            int(p.name.split(".")[1])
            for p in self._folder.glob(f"{stem}.*.jsonl")
            if p.name.split(".")[1].isdigit()
        ]
        path.rename(self._folder / f"{stem}.{max(taken, default=0) + 1:06d}.jsonl")
        _fsync_dir(self._folder)


def _repair(path: Path) -> int:
    """Cut a torn last line (a crash mid-write; its record was never committed); the new size."""
    with path.open("r+b") as file:
        size = file.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        file.seek(size - 1)
        if file.read(1) == b"\n":
            return size
        # Search back in chunks for the last complete line.
        end = size
        while end > 0:
            start = max(0, end - 65536)
            file.seek(start)
            chunk = file.read(end - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            end = start
        else:
            keep = 0
        file.truncate(keep)
        os.fsync(file.fileno())
        return keep


def stream_files(folder: Path, kind: RecordKind) -> list[Path]:
    """The `files` layout's files of one kind in the order they were written."""
    stem = STREAM_NAMES[kind]
    rotated = sorted(p for p in folder.glob(f"{stem}.*.jsonl") if p.name.split(".")[1].isdigit())
    active = folder / f"{stem}.jsonl"
    return rotated + ([active] if active.exists() else [])
