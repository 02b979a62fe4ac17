"""A file store's guards: what is wrong with a file before it opens, and whether it still is.

Each check answers a sentence naming the file, what is wrong and what to do, or None.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

QUICK_CHECK_SECONDS = 5.0
"""Most real seconds the start-up `PRAGMA quick_check` may run before it is cut short.

A store of 1,000,000 orders (4.6 GB) needs 7 to 15 s for the whole check on a 2-core
machine (docs/reliability.md): such a store is checked as far as this allows, a store
of up to a few hundred thousand orders all through.
"""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 100
"""A SQLite file's header; a non-empty file shorter than this is not a database."""

_SIDE_FILES = ("-wal", "-shm")

_REASONS = {
    sqlite3.SQLITE_NOTADB: "is not a SQLite database",
    sqlite3.SQLITE_CORRUPT: "is damaged",
    sqlite3.SQLITE_READONLY: "cannot be written (read-only)",
    sqlite3.SQLITE_CANTOPEN: "cannot be opened",
    sqlite3.SQLITE_FULL: "cannot grow: its disk is full",
    sqlite3.SQLITE_BUSY: "is in use by another program",
    sqlite3.SQLITE_LOCKED: "is in use by another program",
    sqlite3.SQLITE_PERM: "cannot be opened (permission denied)",
    sqlite3.SQLITE_IOERR: "cannot be read or written (disk I/O error)",
}

_ADVICE = {
    sqlite3.SQLITE_NOTADB: "give --db a new path, or move the file away",
    sqlite3.SQLITE_CORRUPT: "restore it from a copy, or start a new world with a new --db path",
    sqlite3.SQLITE_FULL: "free some disk space and start again",
    sqlite3.SQLITE_BUSY: "stop the other okc-sim or program using it, or give another --db path",
    sqlite3.SQLITE_LOCKED: "stop the other okc-sim or program using it, or give another --db path",
}
_DEFAULT_ADVICE = "check the file and its folder can be read and written, or give another --db path"


def damage(error: BaseException) -> str | None:
    """The sentence for SQLite finding the store damaged while serving, else None.

    The start-up check reads a large store only for a bounded time: a damaged page it did
    not reach shows up here, when a request reads it.
    """
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if not isinstance(error, sqlite3.DatabaseError) or code not in _DAMAGE:
        return None
    return (
        f"The simulator's store is damaged ({error}): this request cannot be answered. Stop "
        "the server, restore its --db file from a copy or start a new world on a new --db path."
    )


_DAMAGE = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


def is_full(error: sqlite3.Error) -> bool:
    """Whether SQLite failed because the store cannot grow (a full disk, `max_page_count`)."""
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL


def preflight(path: Path) -> str | None:
    """What stops `path` from holding a world, found before SQLite opens it.

    Returns:
        A sentence naming the file, what is wrong and what to do; None when nothing is.
    """
    folder = path.absolute().parent
    if not folder.is_dir():
        return f"{path}: the folder {folder} does not exist; create it or give another --db path"
    if path.is_dir():
        return f"{path} is a folder, not a file; give --db the path of a file"
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"{path}: the folder {folder} cannot be written, and SQLite keeps its log "
            "(-wal, -shm) beside the file; make it writable or give another --db path"
        )
    return _file_problem(path) if path.exists() else None


def _file_problem(path: Path) -> str | None:
    if not path.is_file():
        return f"{path} is not a regular file; give --db the path of a file"
    if not os.access(path, os.R_OK | os.W_OK):
        return f"{path} cannot be written (read-only); make it writable or give another --db path"
    wal = path.with_name(path.name + _SIDE_FILES[0])
    if _size(path) == 0 and _size(wal) > 0:
        return (
            f"{path} is empty but its log {wal.name} is not: the file was truncated or lost; "
            "restore both from a copy, or move both away to start a new world"
        )
    return _header_problem(path)


def _header_problem(path: Path) -> str | None:
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_BYTES)
    except OSError as error:
        return f"{path} cannot be read ({error.strerror or error}); {_DEFAULT_ADVICE}"
    if header and (len(header) < _HEADER_BYTES or not header.startswith(_SQLITE_MAGIC)):
        return f"{path} is not a SQLite database; {_ADVICE[sqlite3.SQLITE_NOTADB]}"
    return None


def is_new(path: Path) -> bool:
    """Whether opening `path` starts a new world: no file yet, or an empty one.

    An empty file beside a log (`-wal`) that holds commits is not new: SQLite reads the
    commits back, and what they make must pass the start-up check like any other store.
    """
    return all(_size(path.with_name(path.name + suffix)) == 0 for suffix in ("", _SIDE_FILES[0]))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def open_problem(path: Path, error: sqlite3.Error) -> str:
    """The sentence for SQLite's refusal to open (or set up) the store at `path`."""
    code = getattr(error, "sqlite_errorcode", sqlite3.SQLITE_ERROR) & 0xFF
    what = _REASONS.get(code, f"cannot be used as a store ({error})")
    return f"{path} {what}; {_ADVICE.get(code, _DEFAULT_ADVICE)}"


def quick_check(conn: sqlite3.Connection, seconds: float = QUICK_CHECK_SECONDS) -> str | None:
    """SQLite's quick check of the whole file, cut short after `seconds` of real time.

    Cut short, it counts as passed: start-up must stay bounded for a large store, and a
    damaged page it did not reach is refused when read (503, "store damaged").

    Returns:
        SQLite's first complaint, or None when it found nothing.
    """
    timer = threading.Timer(seconds, conn.interrupt)
    timer.start()
    try:
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", 0) == sqlite3.SQLITE_INTERRUPT:
            return None
        raise
    finally:
        timer.cancel()
    first = str(rows[0][0]) if rows else "ok"
    return None if first == "ok" else first


def hold(path: Path) -> int | None:
    """Take the store file for this process alone: a second okc-sim on it is refused.

    An advisory `flock` on a descriptor kept open until the store closes. SQLite's own locks
    are `fcntl` locks, which `flock` does not touch; but closing any descriptor of the file
    drops this process's `fcntl` locks on it, so `release` must come after SQLite's close.

    Returns:
        The descriptor to `release`, or None where `flock` does not exist (Windows).

    Raises:
        BlockingIOError: another process holds the file.
    """
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        return None
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def release(descriptor: int | None) -> None:
    """Let go of a file `hold` took (after SQLite has closed it)."""
    if descriptor is not None:
        os.close(descriptor)


def in_use(path: Path) -> str:
    """The sentence for a store file another process holds."""
    return (
        f"{path} is in use by another okc-sim (one server per --db file); stop that one, "
        "or give another --db path"
    )


class FileWatch:
    """Tells whether a file store is still the file the server opened, cheaply (two `stat`s).

    SQLite writes through the file handles it opened: a database file deleted, replaced (a
    new file at its path) or truncated under a running server takes the writes that follow
    somewhere the next start will not find them. The watch compares the path's identity
    (device and inode) and size with what they were: a database file never shrinks while
    the server runs (nothing vacuums it), and neither does its write-ahead log (the log is
    reused from its start, never truncated, until the store closes).
    """

    def __init__(self, path: Path) -> None:
        """Take the file's (and its log's) identity and size as they are now."""
        self.path = path
        # `str` paths and `os.stat`: the check runs at every commit.
        self._files = [str(path), str(path) + _SIDE_FILES[0]]
        self._known = [_identity(file) for file in self._files]

    def problem(self) -> str | None:
        """What happened to the file since it was opened (or last accepted), if anything."""
        for index, file in enumerate(self._files):
            known = self._known[index]
            try:
                now = os.stat(file)  # noqa: PTH116 - see __init__
            except FileNotFoundError:
                if known is None:
                    continue
                return f"was deleted ({_name(file)} is gone)"
            if known is None:
                self._known[index] = (now.st_dev, now.st_ino, now.st_size)
            elif (now.st_dev, now.st_ino) != known[:2]:
                return f"was replaced ({_name(file)} is another file now)"
            elif now.st_size < known[2]:
                return (
                    f"was truncated ({_name(file)} shrank from {known[2]:,} to "
                    f"{now.st_size:,} bytes)"
                )
            elif now.st_size > known[2]:
                self._known[index] = (known[0], known[1], now.st_size)
        return None

    def accept_shrink(self, logical_bytes: int) -> None:
        """Allow the database file to shrink to `logical_bytes` (a restore of a smaller world)."""
        known = self._known[0]
        if known is not None:
            self._known[0] = (known[0], known[1], min(known[2], logical_bytes))


def _name(path: str) -> str:
    return os.path.basename(path)  # noqa: PTH119 - a `str` path (see FileWatch)


def _identity(path: str) -> tuple[int, int, int] | None:
    try:
        now = os.stat(path)  # noqa: PTH116 - a `str` path (see FileWatch)
    except FileNotFoundError:
        return None
    return (now.st_dev, now.st_ino, now.st_size)
