"""Tests for the `okc-sim` command: `serve` as a real subprocess, the other commands in process."""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

import simulator
from lifecycle import lifecycle_page, mermaid
from simulator import Simulator, cli
from simulator._server import LiveServer, bind_socket
from simulator.cli import build_parser, main

if TYPE_CHECKING:
    from collections.abc import Iterator

START = "2026-03-02T17:00:00Z"
"""Monday 2 March 2026, 09:00 Pacific; the next nightly batch is 2026-03-03T08:00:00Z."""
NEXT_BATCH = "2026-03-03T08:00:00Z"
CREDENTIALS = {"email": "integrator@example.com", "password": "sandbox"}
WAIT_SECONDS = 60.0
"""How long to wait for a server subprocess to print or to exit (a slow CI box, not a sleep)."""

ORDER = {
    "consumer": {"first_name": "Ada", "last_name": "Lovelace"},
    "shipping_address": {
        "address1": "500 Market St",
        "city": "San Francisco",
        "province_code": "CA",
        "postal_code": "94105",
        "country_name": "United States",
    },
}


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that imports the same `simulator` as these tests."""
    env = dict(os.environ)
    root = str(Path(simulator.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env.pop("OKC_SIM_URL", None)
    env.pop("OKC_SIM_ADMIN_TOKEN", None)
    env.update(extra)
    return env


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `okc-sim ARGS` to completion in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", *args],
        capture_output=True,
        text=True,
        env=cli_env(**env),
        timeout=WAIT_SECONDS,
        check=False,
    )


class Served:
    """An `okc-sim serve` subprocess whose output is read line by line as it comes."""

    def __init__(self, *args: str) -> None:
        """Start `okc-sim serve ARGS`."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "simulator.cli", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr = ""
        # A thread per pipe: a blocking readline needs no select(), which pipes lack on Windows.
        self._stdout_reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._stdout_reader.start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def line(self) -> str:
        """The next line of output; fails the test if none comes in time."""
        try:
            line = self.lines.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            pytest.fail("okc-sim serve printed nothing in time")
        if line is None:
            self.wait()
            pytest.fail(f"okc-sim serve exited early ({self.process.returncode}): {self.stderr}")
        return line

    def banner(self) -> list[str]:
        """The lines printed up to and including the last line of the banner."""
        lines: list[str] = []
        while not lines or "stops the server" not in lines[-1]:
            lines.append(self.line())
        return lines

    def wait(self) -> int:
        """Wait for the process to exit; return its exit code."""
        code = self.process.wait(timeout=WAIT_SECONDS)
        self._stdout_reader.join(WAIT_SECONDS)
        self._stderr_reader.join(WAIT_SECONDS)
        return code

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Send a signal and wait for the process to exit; return its exit code."""
        self.process.send_signal(signum)
        return self.wait()

    def kill(self) -> None:
        """Make sure the process is gone (a test that failed half way)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT_SECONDS)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def serve() -> Iterator[type[Served]]:
    """Start `okc-sim serve` subprocesses; any left running are killed after the test."""
    started: list[Served] = []

    class Tracked(Served):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Tracked
    for process in started:
        process.kill()


def frozen(*extra: str) -> tuple[str, ...]:
    """`serve` arguments for a frozen clock at START on a free port."""
    return ("--port", "0", "--clock", "frozen", "--start", START, *extra)


def token(url: str, email: str | None = None, password: str | None = None) -> str:
    """An access token from a server, over HTTP; the default client's unless told."""
    credentials = CREDENTIALS if email is None else {"email": email, "password": password}
    response = httpx.post(f"{url}/v2/authentication/token", json=credentials)
    response.raise_for_status()
    access: str = response.json()["access_token"]
    return access


def create_order(url: str) -> httpx.Response:
    """Create an order for the default client over HTTP."""
    headers = {"Authorization": f"Bearer {token(url)}"}
    with httpx.Client(base_url=url, headers=headers) as client:
        product = client.get("/v2/products").json()["products"][0]["id"]
        lines = [{"pouches": [{"contents": [{"client_product_id": product}]}]}]
        return client.post("/v2/orders", json={**ORDER, "order_lines": lines})


@pytest.fixture(scope="module")
def frozen_server() -> Iterator[tuple[str, list[str]]]:
    """One `okc-sim serve` frozen at START for the tests that only read: URL and banner."""
    server = Served(*frozen())
    try:
        yield server.line(), server.banner()
    finally:
        server.kill()


@pytest.mark.slow
class TestServe:
    """`okc-sim serve` as a user runs it: a real process on a real socket."""

    def test_first_line_is_the_url(self, frozen_server: tuple[str, list[str]]) -> None:
        """With --port 0 the first line is the URL, with the port picked."""
        url, _ = frozen_server
        assert re.fullmatch(r"http://127\.0\.0\.1:(\d+)", url)
        assert not url.endswith(":0")
        assert httpx.get(f"{url}/_sim/clock").json()["now"] == START

    def test_url_first_with_stderr_merged(self) -> None:
        """Read as CI logs read it, stdout and stderr together, the first line is the URL."""
        process = subprocess.Popen(
            [sys.executable, "-m", "simulator.cli", "serve", *frozen()],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=cli_env(),
        )
        first: queue.Queue[str] = queue.Queue()
        output = process.stdout
        assert output is not None
        reader = threading.Thread(target=lambda: first.put(output.readline()), daemon=True)
        reader.start()
        try:
            line = first.get(timeout=WAIT_SECONDS)
        finally:
            process.terminate()
            process.communicate(timeout=WAIT_SECONDS)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", line)

    def test_banner_names_the_default_client(self, frozen_server: tuple[str, list[str]]) -> None:
        """The banner shows the default credentials, the clock, and where help is, not a file."""
        text = "\n".join(frozen_server[1])
        assert "integrator@example.com / sandbox" in text
        assert "frozen" in text
        assert NEXT_BATCH in text
        assert "okc-sim COMMAND --help" in text
        assert "docs/" not in text

    def test_api_works_over_the_socket(self, frozen_server: tuple[str, list[str]]) -> None:
        """A token and an order creation work against the served URL."""
        created = create_order(frozen_server[0])
        assert created.status_code == 201
        assert created.json()["order"]["status"] == "Pending"
        assert created.headers["X-Sim-Time"] == START

    def test_url_from_the_environment(self, frozen_server: tuple[str, list[str]]) -> None:
        """`okc-sim clock` as a program, finding the server through OKC_SIM_URL."""
        result = run_cli("clock", "--json", OKC_SIM_URL=frozen_server[0])
        assert json.loads(result.stdout)["now"] == START

    def test_clock_runs_by_default(self, serve: type[Served]) -> None:
        """Without --clock the clock runs, at speed 1, from about the real now."""
        before = datetime.now(UTC).replace(microsecond=0)
        url = serve("--port", "0").line()
        clock = httpx.get(f"{url}/_sim/clock").json()
        now = datetime.fromisoformat(clock["now"])
        assert clock["mode"] == "running"
        assert clock["speed"] == 1
        assert before <= now < before + timedelta(seconds=WAIT_SECONDS)

    def test_settings_reach_the_server(self, serve: type[Served]) -> None:
        """--speed, --timezone and --rate-limit reach the clock and the API."""
        url = serve(*frozen("--speed", "60", "--timezone", "UTC-8", "--rate-limit", "5")).line()
        clock = httpx.get(f"{url}/_sim/clock").json()
        headers = {"Authorization": f"Bearer {token(url)}"}
        response = httpx.get(f"{url}/v2/orders/count", headers=headers)
        assert (clock["speed"], clock["timezone"]) == (60, "UTC-8")
        assert response.headers["X-RateLimit-Limit"] == "5"

    @pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
    def test_signal_stops_cleanly(self, serve: type[Served], signum: int) -> None:
        """SIGTERM and SIGINT stop the server with exit code 0 and free the port."""
        server = serve(*frozen())
        url = server.line()
        server.banner()
        assert server.stop(signum) == 0
        assert "Traceback" not in server.stderr
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/_sim/clock")

    def test_logs_go_to_stderr(self, serve: type[Served]) -> None:
        """Request logs go to stderr; stdout has the URL, the banner and a last line only."""
        server = serve(*frozen())
        url = server.line()
        banner = server.banner()
        assert httpx.get(f"{url}/_sim/clock").status_code == 200
        assert server.stop() == 0
        rest = [server.lines.get_nowait() for _ in range(server.lines.qsize())]
        assert rest == ["Stopping (SIGTERM).", None]
        assert len(banner) < 20
        assert '"GET /_sim/clock HTTP/1.1" 200' in server.stderr

    def test_client_replaces_the_default(self, serve: type[Served]) -> None:
        """--client EMAIL:PASSWORD (repeatable) replaces integrator@example.com."""
        url = serve(
            *frozen("--client", "a@example.com:pw-a", "--client", "b@example.com:x:y")
        ).line()
        assert token(url, "a@example.com", "pw-a")
        assert token(url, "b@example.com", "x:y")
        refused = httpx.post(f"{url}/v2/authentication/token", json=CREDENTIALS)
        assert refused.status_code == 401

    def test_demo_loads_a_dozen_orders(self, serve: type[Served]) -> None:
        """--demo starts with 12 orders, some Pending, one On Hold, some Delivered."""
        url = serve(*frozen("--demo")).line()
        headers = {"Authorization": f"Bearer {token(url)}"}
        statuses = [
            order["status"]
            for order in httpx.get(f"{url}/v2/orders", headers=headers).json()["orders"]
        ]
        assert len(statuses) == 12
        assert {"Pending", "On Hold", "Accepted", "Delivered"} <= set(statuses)
        assert httpx.get(f"{url}/_sim/clock").json()["now"] == START

    def test_db_keeps_the_world(self, serve: type[Served], tmp_path: Path) -> None:
        """With --db, orders survive a restart."""
        db = str(tmp_path / "world.sqlite")
        first = serve(*frozen("--db", db))
        assert create_order(first.line()).status_code == 201
        assert first.stop() == 0
        second = serve(*frozen("--db", db)).line()
        count = httpx.get(
            f"{second}/v2/orders/count", headers={"Authorization": f"Bearer {token(second)}"}
        )
        assert count.json() == {"count": 1}

    def test_admin_token_guards_the_control_api(
        self, serve: type[Served], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With --admin-token, /_sim needs it, and `okc-sim clock --admin-token` sends it."""
        url = serve(*frozen("--admin-token", "s3cret")).line()
        assert httpx.get(f"{url}/_sim/clock").status_code == 401
        assert main(["clock", "--url", url]) == 1
        assert "401" in capsys.readouterr().err
        assert main(["clock", "--url", url, "--admin-token", "s3cret", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["now"] == START

    def test_advance_program(self, serve: type[Served]) -> None:
        """`okc-sim advance --to-next-batch` as a program runs the batch."""
        url = serve(*frozen()).line()
        assert create_order(url).status_code == 201
        advanced = run_cli("advance", "--url", url, "--to-next-batch")
        assert advanced.returncode == 0
        assert f"now             {NEXT_BATCH}" in advanced.stdout
        assert "events applied  1" in advanced.stdout


class TestServeRefusals:
    """`okc-sim serve` refusing to start, in process: it fails before serving anything."""

    def test_non_loopback_host_needs_an_admin_token(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--host beyond loopback without --admin-token exits 2, naming the flag."""
        err = usage_error(["serve", "--host", "0.0.0.0", "--port", "0"], capsys)
        assert "--admin-token is required" in err

    def test_port_in_use_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A port that is taken is a one-line error and exit code 2, like every start failure."""
        with bind_socket("127.0.0.1", 0) as taken:
            port = str(taken.getsockname()[1])
            assert main(["serve", "--port", port, "--clock", "frozen"]) == 2
        captured = capsys.readouterr()
        assert f"cannot listen on 127.0.0.1:{port}" in captured.err
        assert captured.err.count("\n") == 1
        assert captured.out == ""

    def test_signal_handlers_are_restored(self) -> None:
        """After serve returns, SIGINT and SIGTERM are handled as before."""
        before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
        with bind_socket("127.0.0.1", 0) as taken:
            main(["serve", "--port", str(taken.getsockname()[1]), "--clock", "frozen"])
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before

    def test_seed_mismatch_with_db_exits_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A --db made with another --seed is refused in one line, naming both."""
        db = tmp_path / "world.sqlite"
        Simulator(start=START, seed=1, db=db).close()
        assert main(["serve", "--port", "0", "--db", str(db), "--seed", "2"]) == 2
        err = capsys.readouterr().err
        assert "seed 1, not 2" in err
        assert err.count("\n") == 1


class TestDemoWorld:
    """How `serve --demo` builds its world (in process, without serving)."""

    def test_demo_ends_at_start_and_runs(self) -> None:
        """The demo world ends at --start, with the clock in the mode asked for."""
        args = build_parser().parse_args(["serve", "--demo", "--start", START, "--speed", "5"])
        sim, note = cli._world(args)
        try:
            assert note.startswith("12 orders: 2 Pending, 1 On Hold")
            state = sim.clock_state()
            assert (state["mode"], state["speed"]) == ("running", 5)
            assert datetime.fromisoformat(state["now"]) >= datetime.fromisoformat(START)
        finally:
            sim.close()

    def test_demo_is_not_loaded_twice_into_a_db(self, tmp_path: Path) -> None:
        """A --db world that already has orders keeps them; the demo is skipped."""
        db = str(tmp_path / "world.sqlite")
        argv = ["serve", "--demo", "--clock", "frozen", "--start", START, "--db", db]
        args = build_parser().parse_args(argv)
        first, _ = cli._world(args)
        first.close()
        second, note = cli._world(args)
        try:
            assert second.count_orders() == 12
            assert note.startswith("skipped")
        finally:
            second.close()


class TestNothingListening:
    """`okc-sim clock` and `advance` when no server answers."""

    @pytest.mark.parametrize("command", [["clock"], ["advance", "--hours", "1"]])
    def test_connection_refused(
        self, command: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Connection refused is one line telling the user to start `okc-sim serve`; exit 1."""
        with bind_socket("127.0.0.1", 0) as closed:
            url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        assert main([*command, "--url", url]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "okc-sim serve" in err


class TestClock:
    """`okc-sim clock`."""

    def test_readable(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """The clock is shown with the Pacific wall time and the time to the next batch."""
        assert main(["clock", "--url", live.url]) == 0
        out = capsys.readouterr().out
        assert f"now            {START}  Mon 2026-03-02 09:00:00 America/Los_Angeles" in out
        assert "mode           frozen" in out
        assert f"next batch at  {NEXT_BATCH}" in out
        assert "(in 15h 00m)" in out

    def test_json(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """--json prints exactly what GET /_sim/clock answers."""
        assert main(["clock", "--url", live.url, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == live.sim.clock_state()


class TestAdvance:
    """`okc-sim advance`: each way of saying how far."""

    @pytest.mark.parametrize(
        ("flag", "amount", "seconds"),
        [("--seconds", "90", 90), ("--hours", "1.5", 5400), ("--days", "2", 172_800)],
    )
    def test_by_an_amount(
        self,
        live: LiveServer,
        capsys: pytest.CaptureFixture[str],
        flag: str,
        amount: str,
        seconds: int,
    ) -> None:
        """--seconds, --hours and --days move the clock by that much."""
        assert main(["advance", "--url", live.url, flag, amount]) == 0
        expected = datetime.fromisoformat(START) + timedelta(seconds=seconds)
        assert live.sim.now == expected
        assert f"now             {expected.isoformat().replace('+00:00', 'Z')}" in (
            capsys.readouterr().out
        )

    def test_to_an_instant(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """--to moves the clock to the instant; --json prints the answer."""
        assert main(["advance", "--url", live.url, "--to", "2026-03-04T00:00:00Z", "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == {
            "now": "2026-03-04T00:00:00Z",
            "events_applied": 0,
        }

    def test_to_next_batch(self, live: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
        """--to-next-batch lands on next_batch_at."""
        assert main(["advance", "--url", live.url, "--to-next-batch", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["now"] == NEXT_BATCH

    def test_backwards_is_refused(
        self, live: LiveServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A --to in the past fails with the server's message and exit code 1."""
        assert main(["advance", "--url", live.url, "--to", "2026-03-01T00:00:00Z"]) == 1
        err = capsys.readouterr().err
        assert "422" in err
        assert "backwards" in err


class TestDiagram:
    """`okc-sim diagram`."""

    def test_mermaid(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The output is exactly lifecycle.mermaid()."""
        assert main(["diagram"]) == 0
        assert capsys.readouterr().out == mermaid()

    def test_page(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--page prints exactly lifecycle.lifecycle_page()."""
        assert main(["diagram", "--page"]) == 0
        assert capsys.readouterr().out == lifecycle_page()

    @pytest.mark.slow
    def test_as_a_subprocess(self) -> None:
        """The module runs as a program and prints the same diagram."""
        result = run_cli("diagram")
        assert result.returncode == 0
        assert result.stdout == mermaid()


def all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """A parser and, depth first, every command's parser under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from all_parsers(sub)


def usage_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run okc-sim with bad arguments; check it exits 2; return what it wrote to stderr."""
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    return capsys.readouterr().err


class TestUsage:
    """Help, version, and bad arguments (exit code 2, naming the flag)."""

    @pytest.mark.parametrize("command", [[], ["serve"], ["clock"], ["advance"], ["diagram"]])
    def test_help(self, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        """--help on every command exits 0 and shows examples."""
        with pytest.raises(SystemExit) as exited:
            main([*command, "--help"])
        assert exited.value.code == 0
        assert "examples:" in capsys.readouterr().out

    def test_every_option_has_help(self) -> None:
        """Every option and argument of every command says what it is for."""
        undocumented = [
            f"{parser.prog} {action.dest}"
            for parser in all_parsers(build_parser())
            for action in parser._actions
            if action.help is None and not isinstance(action, argparse._SubParsersAction)
        ]
        assert undocumented == []

    def test_help_needs_no_checkout(self, capsys: pytest.CaptureFixture[str]) -> None:
        """No help text sends a reader to a file of the repository (docs/...)."""
        for parser in all_parsers(build_parser()):
            parser.print_help()
            assert "docs/" not in capsys.readouterr().out, parser.prog

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--version prints the distribution's version."""
        with pytest.raises(SystemExit) as exited:
            main(["--version"])
        assert exited.value.code == 0
        assert re.fullmatch(r"okc-sim \S+\n", capsys.readouterr().out)

    def test_no_command(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A command is required."""
        assert "COMMAND" in usage_error([], capsys)

    @pytest.mark.parametrize(
        ("args", "flag"),
        [
            (["--port", "70000"], "--port"),
            (["--port", "http"], "--port"),
            (["--speed", "0"], "--speed"),
            (["--speed", "fast"], "--speed"),
            (["--speed", "inf"], "--speed"),
            (["--clock", "sometimes"], "--clock"),
            (["--start", "yesterday"], "--start"),
            (["--start", "2026-03-02T10:00:00"], "--start"),
            (["--seed", "1.5"], "--seed"),
            (["--rate-limit", "0"], "--rate-limit"),
            (["--rate-limit", "lots"], "--rate-limit"),
            (["--timezone", "Mars/Olympus_Mons"], "--timezone"),
            (["--client", "integrator@example.com"], "--client"),
            (["--client", "no-at-sign:pw"], "--client"),
            (["--journal-size", "-1"], "--journal-size"),
            (["--log-level", "chatty"], "--log-level"),
            (["--client", "a@example.com:1", "--client", "a@example.com:2"], "--client"),
        ],
    )
    def test_bad_serve_flags(
        self, args: list[str], flag: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A bad value exits 2 with a message naming the flag."""
        assert flag in usage_error(["serve", *args], capsys)

    @pytest.mark.parametrize(
        ("args", "flag"),
        [
            (["--seconds", "-5"], "--seconds"),
            (["--hours", "soon"], "--hours"),
            (["--days", "nan"], "--days"),
            (["--to", "tomorrow"], "--to"),
            (["--hours", "1", "--days", "1"], "--days"),
            (["--url", "ftp://example.com"], "--url"),
            ([], "--seconds"),
        ],
    )
    def test_bad_advance_flags(
        self, args: list[str], flag: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A bad or missing amount exits 2 with a message naming the flag."""
        assert flag in usage_error(["advance", *args], capsys)

    def test_parser_defaults_follow_the_contract(self) -> None:
        """Serve defaults to the contract: 127.0.0.1:8080, running at 1, seed 0, 3600 an hour."""
        args = build_parser().parse_args(["serve"])
        assert (args.host, args.port, args.clock, args.speed) == ("127.0.0.1", 8080, "running", 1)
        assert (args.seed, args.rate_limit, args.db, args.clients) == (0, 3600, None, None)

    def test_rate_limit_off(self) -> None:
        """--rate-limit off turns limiting off."""
        assert build_parser().parse_args(["serve", "--rate-limit", "off"]).rate_limit is None
