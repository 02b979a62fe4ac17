"""Tests that the built wheel works on its own, installed (not editable) in a clean environment.

Builds the sdist and, from it, the wheel (as `make dist` does), installs the wheel with its
`testing` extra into a new virtual environment outside the repository, and uses it from a
directory that holds nothing of the repository. Needs PyPI for the build backend and the
dependencies, like `make` itself.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BUILD_SECONDS = 600.0
"""How long a build or an install may take on a slow CI box (a bound, not a sleep)."""
WAIT_SECONDS = 60.0

PLUGIN_TEST = '''
def test_the_plugin_serves(okc_client, okc_sim):
    """The okc_sim plugin's fixtures work from the installed wheel."""
    okc_client.headers.update(okc_client.auth_headers())
    assert okc_client.get("/v2/orders/count").json() == {"count": 0}
    okc_sim.advance(seconds=60)
'''


class Installed:
    """A virtual environment with the wheel installed, and a directory away from the repo."""

    def __init__(self, venv: Path, wheel: Path, workdir: Path) -> None:
        """Remember where things are."""
        self.venv = venv
        self.wheel = wheel
        self.workdir = workdir

    def bin(self, name: str) -> str:
        """A program of the environment."""
        return str(self.venv / ("Scripts" if sys.platform == "win32" else "bin") / name)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a program of the environment in the work directory, to completion."""
        return subprocess.run(
            [self.bin(args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=clean_env(),
            timeout=BUILD_SECONDS,
            check=False,
        )


def clean_env() -> dict[str, str]:
    """The environment without anything that would point Python at the repository."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "OKC_SIM_URL", "OKC_SIM_ADMIN_TOKEN"}
    return {key: value for key, value in os.environ.items() if key not in drop}


def checked(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """The result, after failing the test with its output if it failed."""
    if result.returncode != 0:
        pytest.fail(f"{result.args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the sdist, the wheel from it, and install the wheel into a fresh venv."""
    dist = tmp_path_factory.mktemp("dist")
    checked(
        subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=BUILD_SECONDS,
            check=False,
        )
    )
    (wheel,) = dist.glob("okc_lifecycle-*.whl")
    venv = tmp_path_factory.mktemp("venv")
    checked(
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)],
            capture_output=True,
            text=True,
            timeout=BUILD_SECONDS,
            check=False,
        )
    )
    environment = Installed(venv, wheel, tmp_path_factory.mktemp("work"))
    checked(environment.run("python", "-m", "pip", "install", "--quiet", f"{wheel}[testing]"))
    return environment


@pytest.fixture
def served(installed: Installed) -> Iterator[str]:
    """`okc-sim serve --port 0` from the installed wheel; its URL, read as the first line."""
    process = subprocess.Popen(
        [installed.bin("okc-sim"), "serve", "--port", "0", "--clock", "frozen"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=installed.workdir,
        env=clean_env(),
    )
    output = process.stdout
    assert output is not None
    first: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: first.put(output.readline()), daemon=True).start()
    try:
        yield first.get(timeout=WAIT_SECONDS).strip()
    finally:
        process.terminate()
        process.communicate(timeout=WAIT_SECONDS)


class TestWheel:
    """The wheel, installed on its own, does what the docs promise."""

    def test_package_data_is_in_the_wheel(self, installed: Installed) -> None:
        """The default profile and both py.typed markers ship in the wheel."""
        names = set(zipfile.ZipFile(installed.wheel).namelist())
        expected = {"simulator/default_profile.toml", "simulator/py.typed", "lifecycle/py.typed"}
        assert expected <= names

    def test_imports_from_the_environment(self, installed: Installed) -> None:
        """lifecycle.testing and simulator import from the venv, not from the repository."""
        result = checked(
            installed.run(
                "python", "-c", "import lifecycle.testing, simulator; print(simulator.__file__)"
            )
        )
        location = Path(result.stdout.strip())
        assert location.is_relative_to(installed.venv)
        assert not location.is_relative_to(ROOT)

    def test_serve_answers_over_a_socket(self, served: str) -> None:
        """`okc-sim serve --port 0` prints its URL first and answers there."""
        assert served.startswith("http://127.0.0.1:")
        response = httpx.get(f"{served}/_sim/clock")
        assert response.status_code == 200
        assert response.json()["mode"] == "frozen"

    def test_pytest_plugin_loads(self, installed: Installed) -> None:
        """In the venv, pytest finds the okc_sim plugin and runs a test that uses its fixtures."""
        (installed.workdir / "test_uses_plugin.py").write_text(PLUGIN_TEST, encoding="utf-8")
        result = installed.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
        checked(result)
        assert "1 passed" in result.stdout
        markers = checked(installed.run("python", "-m", "pytest", "--markers")).stdout
        ours = [line for line in markers.splitlines() if line.startswith("@pytest.mark.okc_")]
        assert len(ours) == 2, ours  # okc_sim and okc_clock_bridge
        assert not [line for line in ours if "docs/" in line]

    def test_help_works_without_the_repository(self, installed: Installed) -> None:
        """`okc-sim --help` runs from the wheel and points at no file of the repository."""
        result = checked(installed.run("okc-sim", "--help"))
        assert "okc-sim COMMAND --help" in result.stdout
        assert "docs/" not in result.stdout
