"""The hook spool: every hook event arrives here as a file; stored exactly once, in order.

The hook writes one record file per event (format in desktop.core.hooks.command) and rings
the doorbell, a UDP datagram with the secret and the record's id: the app then stores that
record at once. Records nobody rang for (the app was down, starting, or the datagram was
lost) are drained at start-up and whenever the spool changes, in stamp order. A record is
stored through EventIngest with the hook's id as the dedupe key and only then deleted, so a
drain cut short (the app killed halfway) is simply run again: what was already stored comes
back as a duplicate and is skipped. The fallback spool (desktop.core.hooks.fallback), where
the hook writes when the data dir cannot take a record, is drained the same way, merged
in stamp order with the main spool.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from desktop.core.hooks.command import DROPPED_FILE, DROPPED_PREFIX, SPOOL_MAGIC, SPOOL_SUFFIX
from desktop.core.hooks.fallback import trusted
from desktop.core.hooks.payload import HookPayload, IncomingEvent
from desktop.core.ingest import EventIngest
from desktop.core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

REJECTED_DIR = "rejected"
# A record still incomplete after this long lost its writer (Claude kills a hook after 5 s).
STALE_AFTER_S = 60.0
# The watch leaves records this young to their doorbell datagram, still on its way.
RING_GRACE_S = 0.5
# A dropped-count file still empty after this was left by a cap check killed mid-way.
STALE_DROPPED_S = 3600.0
# Larger payloads (a huge tool output) are kept with their long strings cut to this.
MAX_PAYLOAD_BYTES = 1024 * 1024
LONG_STRING_CHARS = 4096
_MAGIC = SPOOL_MAGIC.encode()
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PANE = re.compile(r"^%\d{1,9}$")


class BadRecordError(Exception):
    """A spool file that can never become an event; the message says why."""


@dataclass(frozen=True)
class SpoolRecord:
    """One complete record as the hook wrote it."""

    dedupe_key: str
    stamp: float
    pane_id: str | None
    claude_pid: int | None
    event_name: str
    body: bytes


@dataclass
class DrainReport:
    """What one drain did."""

    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    pending: int = 0  # records still being written; the next drain takes them
    failed: str | None = None  # why the drain stopped early (the rest waits in the spool)
    dropped: int = 0  # records the hook dropped at the spool's cap since the last drain


def parse_record(data: bytes) -> SpoolRecord | None:
    """The record in a spool file's bytes; None while it is still being written."""
    header, newline, rest = data.partition(b"\n")
    if not newline:
        if not _MAGIC.startswith(header[: len(_MAGIC)]):
            raise BadRecordError("it is not a claude-rpg spool record")
        return None
    fields = header.split(b"\t")
    if fields[0] != _MAGIC or len(fields) != 7:
        raise BadRecordError("it is not a claude-rpg spool record")
    key, stamp, pane, pid, event, length = (f.decode("ascii", "replace") for f in fields[1:])
    if not length.isdigit():
        raise BadRecordError(f"its payload length {length!r} is not a number")
    size = int(length)
    if len(rest) < size + 1:
        return None
    if len(rest) > size + 1 or rest[size:] != b"\n":
        raise BadRecordError("it is longer than its header says")
    if not _KEY.match(key):
        raise BadRecordError(f"its id {key!r} is not a valid event id")
    return SpoolRecord(
        dedupe_key=key,
        stamp=_stamp(stamp),
        pane_id=pane if _PANE.match(pane) else None,
        claude_pid=int(pid) if pid.isdigit() and 0 < len(pid) < 10 else None,
        event_name=event,
        body=rest[:size],
    )


def record_bytes(
    key: str, stamp: float, pane: str | None, claude_pid: int | None, event: str, body: bytes
) -> bytes:
    """A spool record laid out byte for byte as the hook script writes it (parse_record's input)."""
    pid = str(claude_pid) if claude_pid is not None else ""
    header = "\t".join((SPOOL_MAGIC, key, f"{stamp:.6f}", pane or "", pid, event, str(len(body))))
    return header.encode() + b"\n" + body + b"\n"


def write_record(spool_dir: Path, key: str, data: bytes) -> Path:
    """Put one record into the spool whole (written under a hidden name, then renamed)."""
    target = spool_dir / f"{key}{SPOOL_SUFFIX}"
    partial = spool_dir / f".{key}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(partial, target)
    return target


def _stamp(raw: str) -> float:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0


def event_from_record(record: SpoolRecord, fallback_stamp: float) -> IncomingEvent:
    """The validated event in a record, as the listener would have built it."""
    try:
        data = json.loads(record.body)
    except (ValueError, RecursionError) as e:
        raise BadRecordError(f"its payload is not valid JSON ({e})") from e
    if not isinstance(data, dict):
        raise BadRecordError("its payload is not a JSON object")
    try:
        payload = HookPayload.model_validate(data)
    except ValidationError as e:
        raise BadRecordError(f"its payload is not a hook payload ({e.error_count()} errors)") from e
    if len(record.body) > MAX_PAYLOAD_BYTES:
        data = shortened(data)
    return IncomingEvent(
        payload=data,
        event_name=payload.hook_event_name,
        session_id=payload.session_id,
        dedupe_key=record.dedupe_key,
        stamp=record.stamp or fallback_stamp,
        pane_id=record.pane_id,
        claude_pid=record.claude_pid,
    )


def shortened(value: Any) -> Any:
    """The payload with every long string cut short (a huge tool output is not the point)."""
    if isinstance(value, str) and len(value) > LONG_STRING_CHARS:
        cut = len(value) - LONG_STRING_CHARS
        return f"{value[:LONG_STRING_CHARS]}… [{cut} more characters dropped by claude-rpg]"
    if isinstance(value, dict):
        return {k: shortened(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shortened(v) for v in value]
    return value


def dropped_sentence(count: int, cap: str) -> str:
    """What to tell the user about records the hook dropped at the spool's cap."""
    return (
        f"{count} hook events were dropped while claude-rpg was not running: the spool "
        f"reached {cap} and the hook kept the newest. Raise [spool] cap_mb in settings.toml "
        "to keep more"
    )


def records_in(folder: Path) -> list[Path]:
    """The record files waiting in one spool folder ([] when it is missing)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return [
        Path(e.path)
        for e in entries
        if e.name.endswith(SPOOL_SUFFIX) and not e.name.startswith(".") and e.is_file()
    ]


def _mtime(folder: Path | None) -> int | None:
    if folder is None:
        return None
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return None


def _take_dropped_in(folder: Path) -> int:
    """Take the dropped counts the cap checks left in one spool folder (see take_dropped)."""
    count = _take_appended(folder / DROPPED_FILE)
    try:
        names = [e.name for e in os.scandir(folder) if e.name.startswith(DROPPED_PREFIX)]
    except OSError:
        names = []
    for name in names:
        path = folder / name
        try:
            with open(path, "rb") as f:
                line = f.read(64)
            if not line.endswith(b"\n"):
                # Made, not yet written; or left empty by a check killed in between.
                if time.time() - os.stat(path).st_mtime > STALE_DROPPED_S:
                    path.unlink()
                continue
            path.unlink()
        except OSError:  # gone, or a read-only spool: counted once it can be deleted
            continue
        count += _count(line)
    return count


def _take_appended(path: Path) -> int:
    """The count in the one `.dropped` file hook scripts of earlier releases append to."""
    # Renamed first: a hook appending from now on starts a new file, counted next time.
    taking = path.with_name(f"{DROPPED_FILE}.{os.getpid()}")
    try:
        os.replace(path, taking)
    except OSError:  # none there, or a read-only spool: counted once it is writable again
        return 0
    try:
        text = taking.read_bytes()
    finally:
        taking.unlink(missing_ok=True)
    return _count(text)


def _name_stamp(path: Path) -> float:
    try:
        return float(path.name.split("-", 1)[0])
    except ValueError:
        return math.inf


def _count(text: bytes) -> int:
    """The sum of the counts in a dropped-count file (one number a line)."""
    return sum(int(word) for word in text.split() if word.isdigit() and len(word) < 10)


class SpoolDrain:
    """Replays the spool into EventIngest: at start-up, and whenever the spool grows."""

    def __init__(
        self,
        spool_dir: Path,
        ingest: EventIngest,
        interval: float = 0.5,
        batch: int = 100,
        stale_after: float = STALE_AFTER_S,
        cap_mb: int | None = None,
        fallback_dir: Path | None = None,
    ) -> None:
        self.spool_dir = spool_dir
        # Where the hook writes what the data dir cannot take; read only while trusted.
        self.fallback_dir = fallback_dir
        self.ingest = ingest
        self.interval = interval
        self.batch = batch
        self.stale_after = stale_after
        self.last_report = DrainReport()
        # Why the last store failed (a full disk, a read-only data dir), until one succeeds.
        self.store_error: Exception | None = None
        self.rung = 0  # records stored at once because their hook rang the doorbell
        self.cap_mb = cap_mb  # the spool cap the hook script enforces (for the sentence)
        self.dropped = 0  # records the hook dropped at the cap, counted since the app started
        self._lock = asyncio.Lock()
        self._seen: tuple[int | None, ...] | None = None
        self._task: asyncio.Task[None] | None = None

    def backlog(self) -> int:
        """How many records wait in the spool (the fallback's included)."""
        return len(self._record_paths())

    def fallback_backlog(self) -> int:
        """How many records wait in the fallback spool."""
        fallback = self._fallback()
        return len(records_in(fallback)) if fallback is not None else 0

    def write_problem(self) -> str | None:
        """Why the hook cannot write into the spool now (so it uses the fallback), or None."""
        spool = self.spool_dir
        try:
            if not spool.is_dir():
                return None  # a missing spool is made again (by the hook or the data dir guard)
            if os.access(spool, os.W_OK | os.X_OK):
                # Writable by its modes, yet records wait in the fallback: the hook's writes
                # failed (a full disk, a file system turned read-only after a disk error).
                if not self.fallback_backlog():
                    return None
                why = "writing there failed"
            elif os.statvfs(spool).f_flag & os.ST_RDONLY:
                why = "its file system is read-only"
            else:
                why = "its folder is not writable"
        except OSError:
            return None
        where = f"the fallback spool {self.fallback_dir}" if self.fallback_dir else "nowhere"
        return (
            f"Hook events cannot be written to the spool {spool} ({why}); they go to {where} "
            "meanwhile and are stored from there. Make the data dir writable again "
            "(chmod u+rwx, or mount it read-write)."
        )

    def _fallback(self) -> Path | None:
        """The fallback spool when it exists and is this user's own (never a planted one)."""
        if self.fallback_dir is None or not trusted(self.fallback_dir):
            return None
        return self.fallback_dir

    def _dirs(self) -> list[Path]:
        fallback = self._fallback()
        return [self.spool_dir] if fallback is None else [self.spool_dir, fallback]

    def _record_paths(self) -> list[Path]:
        return [path for folder in self._dirs() for path in records_in(folder)]

    def _signature(self) -> tuple[int | None, ...]:
        return tuple(_mtime(folder) for folder in (self.spool_dir, self.fallback_dir))

    async def drain(self, min_age: float = 0.0) -> DrainReport:
        """Store every complete record in stamp order, then delete it. One drain at a time.

        Records younger than `min_age` seconds are left (counted as pending) for their
        doorbell, which is on its way.
        """
        async with self._lock:
            # Read before listing: anything written after this shows as a change next tick.
            self._seen = self._signature()
            report = DrainReport(dropped=self.take_dropped())
            paths = self._sorted_paths()
            for start in range(0, len(paths), self.batch):
                if not self._store(paths[start : start + self.batch], report, min_age):
                    break
                await asyncio.sleep(0)  # let the doorbell, the API and the UI in
            self.last_report = report
        if report.stored or report.duplicates or report.rejected:
            log.info(
                "spool: stored %d events (%d were already stored), rejected %d, %d waiting",
                report.stored,
                report.duplicates,
                report.rejected,
                report.pending,
            )
        return report

    def take_dropped(self) -> int:
        """How many records the hook dropped at the cap since the last look (logged).

        Each cap check leaves its count in a file of its own, its line written by one
        write: a file whose line is whole is complete, and is deleted, then counted (one
        still empty is left for the next look). Nothing is renamed or cut under a writer,
        so no count is lost or taken twice. Each spool (the fallback too) has its own cap
        and its own counts.
        """
        count = sum(_take_dropped_in(folder) for folder in self._dirs())
        if count:
            self.dropped += count
            cap = f"{self.cap_mb} MB" if self.cap_mb is not None else "its cap"
            log.warning("%s", dropped_sentence(count, cap))
        return count

    def replay_keys(self, keys: list[str]) -> bool:
        """Store the records with these ids now (their hooks rang); False when none is there.

        Every other complete record waiting in the spool goes with them, in the same
        transaction: under load the records whose datagrams are still queued are already
        there, and their own rings then find nothing left to do (group commit).
        """
        folders = self._dirs()
        if not any(
            _KEY.match(key) and (folder / f"{key}{SPOOL_SUFFIX}").exists()
            for key in keys
            for folder in folders
        ):
            return False
        report = DrainReport()
        paths = self._sorted_paths()
        for start in range(0, len(paths), self.batch):
            if not self._store(paths[start : start + self.batch], report):
                break
        self.rung += report.stored
        return bool(report.stored or report.duplicates)

    def _sorted_paths(self) -> list[Path]:
        return sorted(self._record_paths(), key=lambda p: (_name_stamp(p), p.name))

    def _store(self, paths: list[Path], report: DrainReport, min_age: float = 0.0) -> bool:
        """Store records in one transaction, then delete them; False when the store failed."""
        ready: list[tuple[Path, IncomingEvent]] = []
        for path in paths:
            event = self._read(path, report, min_age)
            if event is not None:
                ready.append((path, event))
        if not ready:
            return True
        try:
            results = self.ingest.ingest_many([event for _, event in ready])
        except Exception as e:
            self._failed(e, len(ready))
            names = ", ".join(path.name for path, _ in ready[:3])
            report.failed = f"storing {names} failed ({e}); they stay in the spool"
            return False
        if self.store_error is not None:
            log.info("spool: storing works again (%s is over)", self.store_error)
            self.store_error = None
        for (path, _), result in zip(ready, results, strict=True):
            if result.stored:
                report.stored += 1
            else:
                report.duplicates += 1
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                # Stored, but the record stays (a read-only spool): the next drain finds it
                # already stored and tries the delete again.
                report.failed = f"{path.name} is stored but could not be deleted ({e})"
        return True

    def _failed(self, error: Exception, count: int) -> None:
        """Log a store failure: its traceback the first time, a line when it changes."""
        if self.store_error is None:
            log.exception("spool: could not store %d records; they stay in the spool", count)
        elif str(error) != str(self.store_error):
            log.warning("spool: storing still fails, now with: %s", error)
        self.store_error = error

    def _read(self, path: Path, report: DrainReport, min_age: float = 0.0) -> IncomingEvent | None:
        """The event in one complete record; None when it is pending, gone or rejected."""
        try:
            mtime = path.stat().st_mtime
            if min_age and time.time() - mtime < min_age:
                report.pending += 1
                return None
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            record = parse_record(data)
            if record is None:
                if self._left_over(path):
                    report.duplicates += 1
                    return None
                if time.time() - mtime < self.stale_after:
                    report.pending += 1
                    return None
                raise BadRecordError("it is incomplete (its hook was stopped while writing it)")
            return event_from_record(record, fallback_stamp=mtime)
        except BadRecordError as e:
            if self._left_over(path):
                report.duplicates += 1
                return None
            self._reject(path, str(e))
            report.rejected += 1
            return None

    def _left_over(self, path: Path) -> bool:
        """Delete an incomplete or garbled record whose event is stored; True when it was one.

        A power cut or a disk error can bring back a deleted record as an empty file (or
        one of zeros): its name reached the disk, its bytes and its deletion did not. Its
        event is stored (the record was deleted only once that commit was on disk), so it
        goes, without a word.
        """
        key = path.name.removesuffix(SPOOL_SUFFIX)
        if not _KEY.match(key) or not self.ingest.is_stored(key):
            return False
        with contextlib.suppress(OSError):  # a read-only spool: the next drain tries again
            path.unlink(missing_ok=True)
        return True

    def _reject(self, path: Path, reason: str) -> None:
        # Beside the record, in its own spool (the main one may be the one that is read-only).
        rejected = path.parent / REJECTED_DIR
        rejected.mkdir(mode=0o700, exist_ok=True)
        target = rejected / path.name
        os.replace(path, target)
        log.warning(
            "spool: %s cannot be stored because %s; it was moved to %s (delete it when done)",
            path.name,
            reason,
            target,
        )

    # --- watching ------------------------------------------------------------------------

    def start(self) -> None:
        """Drain again whenever the spool changes (checked every `interval` seconds)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            last = self.last_report
            if self._signature() == self._seen and not (last.pending or last.failed):
                continue
            try:
                await self.drain(min_age=RING_GRACE_S)
            except OSError:
                # A spool dir we cannot read now (deleted, permissions): try again next tick.
                log.exception("spool: drain failed; retrying in %.1f s", self.interval)
