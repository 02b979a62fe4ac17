"""Tests that the server runs on the fast HTTP stack its runtime dependencies bring."""

from __future__ import annotations

import sys

from simulator import Simulator
from simulator._server import LiveServer


class TestServerStack:
    """`LiveServer.stack`: what uvicorn's "auto" loop and HTTP parser picked, read while serving."""

    def test_uvloop_and_httptools(self) -> None:
        """The server runs httptools, and uvloop wherever uvloop exists (not on Windows)."""
        sim = Simulator(start="2026-03-02T17:00:00Z")
        try:
            with LiveServer(sim) as server:
                stack = server.stack
        finally:
            sim.close()
        loop = "asyncio" if sys.platform == "win32" else "uvloop"
        assert stack.startswith("uvicorn ")
        assert stack.endswith(f"({loop}, httptools)")
