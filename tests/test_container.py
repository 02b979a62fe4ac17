"""The container image builds from the Dockerfile, becomes healthy and serves the API.

Needs a running Docker engine and debootstrap (`.ci/run` starts and installs them): the base
image is a local Debian made by `scripts/container-test-base.sh`, since Docker Hub is out of
reach, and the project's wheels are installed offline by `scripts/container-build.sh`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from payloads import order_payload

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BASE_IMAGE = "okc-sim-test-base:bookworm"
IMAGE = "okc-sim:test"
ADMIN_TOKEN = "container-test-admin-token"
BUILD_SECONDS = 900.0
HEALTHY_SECONDS = 90.0
TWO_DAYS = 2 * 24 * 3600


def attempt(*command: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run a command (docker or our scripts, from PATH as a user runs them); return its result."""
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def run(*command: str, timeout: float = 120.0) -> str:
    """Run a command, fail the test with its output if it fails, return its stdout."""
    done = attempt(*command, timeout=timeout)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def docker_available() -> None:
    """Fail with what to do when the Docker engine is not there."""
    assert shutil.which("docker"), "The container test needs docker (see .ci/run)."
    done = attempt("docker", "info", timeout=30)
    assert done.returncode == 0, (
        f"No Docker engine answers (scripts/start-docker.sh):\n{done.stderr}"
    )


@pytest.fixture(scope="module")
def image() -> str:
    """The image, built from the repository's Dockerfile on a local Debian base."""
    docker_available()
    base = run(str(ROOT / "scripts" / "container-test-base.sh"), BASE_IMAGE, timeout=BUILD_SECONDS)
    assert base.strip().splitlines()[-1] == BASE_IMAGE
    run(str(ROOT / "scripts" / "container-build.sh"), BASE_IMAGE, IMAGE, timeout=BUILD_SECONDS)
    return IMAGE


def health(container: str) -> str:
    """The container's health status as Docker reports it ("starting", "healthy", ...)."""
    return run("docker", "inspect", "--format", "{{.State.Health.Status}}", container).strip()


@pytest.fixture(scope="module")
def server(image: str) -> Iterator[str]:
    """The image running with its default command and a published port; yields its URL."""
    container = run(
        "docker", "run", "--detach", "--publish", "127.0.0.1::8080",
        "--env", f"OKC_SIM_ADMIN_TOKEN={ADMIN_TOKEN}",
        "--env", "OKC_SIM_ALLOW_HOSTS=127.0.0.1,localhost",
        image,
    ).strip()  # fmt: skip
    try:
        # Polling Docker's view of the HEALTHCHECK, bounded: the container runs in real time.
        deadline = time.monotonic() + HEALTHY_SECONDS
        while (status := health(container)) != "healthy" and time.monotonic() < deadline:
            assert status == "starting", f"the container is {status}:\n{logs(container)}"
            time.sleep(0.5)
        assert status == "healthy", f"not healthy after {HEALTHY_SECONDS} s:\n{logs(container)}"
        address = run("docker", "port", container, "8080/tcp").split()[0]
        yield f"http://{address}"
    finally:
        run("docker", "rm", "--force", container)


def logs(container: str) -> str:
    """What the container printed, for failure messages."""
    done = attempt("docker", "logs", container, timeout=30)
    return done.stdout + done.stderr


def call(
    url: str, method: str = "GET", body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One JSON request through the published port: (status, decoded body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310 - http to our own container
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class TestImage:
    """The image as a user runs it: `docker run -p ... -e OKC_SIM_ADMIN_TOKEN=...`."""

    def test_runs_as_a_non_root_user(self, image: str) -> None:
        """The server's user is not root."""
        uid = run("docker", "run", "--rm", "--entrypoint", "id", image, "-u").strip()
        assert uid != "0"

    def test_refuses_to_serve_beyond_loopback_without_an_admin_token(self, image: str) -> None:
        """Without OKC_SIM_ADMIN_TOKEN the default command stops with a message saying so."""
        done = attempt("docker", "run", "--rm", image)
        assert done.returncode != 0
        assert "--admin-token is required" in done.stderr

    def test_control_api_needs_the_admin_token(self, server: str) -> None:
        """The control API through the published port refuses a request without the token."""
        status, body = call(f"{server}/_sim/clock")
        assert status == 401, body

    def test_order_moves_on_when_the_clock_is_advanced(self, server: str) -> None:
        """Token, create an order, advance two days with the admin token: it was accepted."""
        status, tokens = call(
            f"{server}/v2/authentication/token",
            "POST",
            {"email": "integrator@example.com", "password": "sandbox"},
        )
        assert status == 200, tokens
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        _, catalogue = call(f"{server}/v2/products", headers=auth)
        payload = order_payload(catalogue["products"][0]["id"])
        status, created = call(f"{server}/v2/orders", "POST", payload, auth)
        assert status == 201, created
        assert created["order"]["status"] == "Pending"
        admin = {"X-Admin-Token": ADMIN_TOKEN}
        status, advanced = call(
            f"{server}/_sim/clock/advance", "POST", {"seconds": TWO_DAYS}, admin
        )
        assert status == 200, advanced
        # The access token lived 24 simulated hours: a new one reads the order.
        _, tokens = call(
            f"{server}/v2/authentication/refresh-token",
            "POST",
            {"refresh_token": tokens["refresh_token"]},
        )
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        status, read = call(f"{server}/v2/orders/{created['order']['id']}", headers=auth)
        assert status == 200, read
        assert read["order"]["status"] != "Pending"
        assert read["order"]["status"] in {"Accepted", "In Production", "Shipped"}
