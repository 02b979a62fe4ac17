"""Tests of the Makefile's set-up, read with `make -n` (what it would run, run nowhere)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def planned(tmp_path: Path, *args: str) -> list[str]:
    """The commands `make ARGS` would run for a checkout whose .venv does not exist yet."""
    make = shutil.which("make")
    assert make is not None, "the Makefile's tests need make, as `make test` itself does"
    result = subprocess.run(
        [make, "-n", "--no-print-directory", f"VENV={tmp_path / '.venv'}", *args],
        cwd=ROOT,
        # Run from `make test`, the outer make's flags would leak into this one.
        env={k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


class TestSetUp:
    """`make serve` installs the runtime only; `make test` the dev tools."""

    def test_serve_installs_the_runtime_only(self, tmp_path: Path) -> None:
        """On a fresh checkout, `make serve` installs `-e .` and none of the dev extra."""
        commands = planned(tmp_path, "serve")
        assert any(line.endswith(" -e .") and "pip install" in line for line in commands)
        assert not any("[dev]" in line for line in commands)

    def test_serve_port_and_host(self, tmp_path: Path) -> None:
        """PORT= and HOST= reach `okc-sim serve`, which keeps --demo."""
        serve = planned(tmp_path, "serve", "PORT=9000", "HOST=localhost")[-1]
        assert serve.endswith("okc-sim serve --demo --host localhost --port 9000")

    def test_serve_defaults(self, tmp_path: Path) -> None:
        """Without PORT and HOST, `make serve` listens on 127.0.0.1:8080."""
        assert planned(tmp_path, "serve")[-1].endswith("--host 127.0.0.1 --port 8080")

    def test_test_installs_the_dev_tools(self, tmp_path: Path) -> None:
        """`make pytest` (part of `make test`) installs the dev extra first."""
        assert any("-e '.[dev]'" in line for line in planned(tmp_path, "pytest"))

    def test_dist_builds_with_build(self, tmp_path: Path) -> None:
        """`make dist` builds the wheel and sdist with `python -m build`."""
        assert planned(tmp_path, "dist")[-1].endswith("python -m build --outdir dist .")
