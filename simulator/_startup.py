"""Why `okc-sim serve` could not start, as one line: the thing, what is wrong, what to do.

`okc-sim serve` catches every start-up failure in one place and prints this sentence
(exit status 2) instead of a traceback.
"""

from __future__ import annotations

import errno
import sqlite3

from simulator._profile import ProfileError
from simulator._store import StoreError, StoreFull, StoreLost

REPORT_HINT = (
    "this is a bug in okc-sim: please report it with the command you ran "
    "(--log-level debug shows more)"
)

_SOCKET_ADVICE = {
    errno.EADDRINUSE: "is another okc-sim running? --port 0 picks a free port",
    errno.EACCES: "ports below 1024 need privileges: pick a port above 1023, or --port 0",
    errno.EADDRNOTAVAIL: "the address is not one of this machine's: try --host 127.0.0.1",
}


def start_failure(error: BaseException, *, db: str | None, profile: str | None) -> str:
    """The one line `serve` prints when it cannot start.

    Args:
        error: what stopped the start.
        db: the `--db` path, if one was given.
        profile: the `--profile` path, if one was given.

    Returns:
        A sentence naming what failed, what is wrong and what to do.
    """
    store = db or "the in-memory store"
    if isinstance(error, (StoreError, StoreLost)):
        text = str(error)
    elif isinstance(error, ProfileError):
        text = (
            f"--profile {str(error).rstrip('.')}; fix the file (the packaged "
            "simulator/default_profile.toml shows every key) or leave --profile out for the "
            "default profile"
        )
    elif isinstance(error, StoreFull):
        text = f"{store} cannot be opened: its disk is full; free some space and start again"
    elif isinstance(error, sqlite3.Error):
        text = f"{store} cannot be used ({error}); check the file, or give another --db"
    elif isinstance(error, MemoryError):
        text = "out of memory while opening the world; close other programs or use a smaller --db"
    elif isinstance(error, ValueError) and db is not None and "seed" in str(error):
        text = f"{db}: {error}"
    elif isinstance(error, OSError):
        text = _os_failure(error, profile)
    else:
        text = f"could not start ({type(error).__name__}: {error}); {REPORT_HINT}"
    return _one_line(text)


def listen_failure(host: str, port: int, error: OSError) -> str:
    """The line for a socket that could not be bound (port taken, address not ours...)."""
    advice = _SOCKET_ADVICE.get(error.errno or 0, "check --host and --port")
    return f"cannot listen on {host}:{port}: {error.strerror or error} ({advice})"


def _os_failure(error: OSError, profile: str | None) -> str:
    name = error.filename or profile or "a file"
    return f"{name}: {error.strerror or error}; check the path and its permissions"


def _one_line(text: str) -> str:
    """`text` on one line, whatever a library's message held."""
    return " ".join(text.split())
