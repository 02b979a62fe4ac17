"""A store that fails closed: full (507), replaced or truncated (503), refused at start (exit 2).

Each behaviour is shown on a real server over a real socket; the attacks of issue 13 come
first in their classes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from reliability_support import WAIT_SECONDS, cli_env, drain, order_body, start_serve, stop

from simulator import Simulator
from simulator._server import LiveServer

if TYPE_CHECKING:
    from collections.abc import Iterator

START = "2026-03-02T17:00:00Z"
EMAIL, PASSWORD = "integrator@example.com", "sandbox"
ROOM_PAGES = 4
"""Pages of room a full-store test leaves: enough for an order or two, then 507."""
MOST_ORDERS = 200
"""Bound of every fill-until-full loop."""


def serve_db(db: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """`okc-sim serve --port 0 --log-level warning --db DB EXTRA...`, as `start_serve` starts it."""
    return start_serve("--port", "0", "--log-level", "warning", "--db", str(db), *extra)


class Api:
    """A logged-in client of one server, over a real socket."""

    def __init__(self, url: str) -> None:
        """Log in as the default client."""
        self.http = httpx.Client(base_url=url, timeout=WAIT_SECONDS)
        tokens = self.http.post(
            "/v2/authentication/token", json={"email": EMAIL, "password": PASSWORD}
        )
        assert tokens.status_code == 200, tokens.text
        self.http.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"
        self.product = self.http.get("/v2/products").json()["products"][0]["id"]

    def create(self) -> httpx.Response:
        """Send one valid create-order request."""
        return self.http.post("/v2/orders", json=order_body(self.product))

    def fill(self) -> tuple[list[str], httpx.Response]:
        """Create orders until one is refused; return the ids made and the refusal."""
        made: list[str] = []
        for _ in range(MOST_ORDERS):
            response = self.create()
            if response.status_code != 201:
                return made, response
            made.append(response.json()["order"]["id"])
        pytest.fail(f"the store never filled up in {MOST_ORDERS} orders")

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


def assert_provider_error(response: httpx.Response, status: int, code: str) -> str:
    """The response is `status` in the provider's error shape with `code`; return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "error"}
    assert body["error"] == {"errorCode": code, "message": body["message"]}
    message: str = body["message"]
    return message


def cap_pages(sim: Simulator, room: int = ROOM_PAGES) -> None:
    """Let the store grow by `room` pages at most (SQLite's max_page_count, this connection)."""
    with sim.store.lock:
        (pages,) = sim.store.conn.execute("PRAGMA page_count").fetchone()
        sim.store.conn.execute(f"PRAGMA max_page_count={pages + room}")


def uncap_pages(sim: Simulator) -> None:
    """Give the store room again."""
    with sim.store.lock:
        sim.store.conn.execute("PRAGMA max_page_count=1073741823")


def stored_counters(sim: Simulator) -> str | None:
    """The id counters as the store holds them."""
    return sim.store.get_meta("counters")


@pytest.fixture(params=["memory", "file"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Simulator]:
    """A frozen world in memory or in a file store."""
    db = None if request.param == "memory" else tmp_path / "world.sqlite"
    sim = Simulator(start=START, db=db)
    yield sim
    sim.close()


class TestFullStore:
    """A store with no room answers writes 507, keeps serving reads, and loses nothing."""

    def test_a_full_store_answers_507_not_a_bare_500(self, world: Simulator) -> None:
        """The write that finds no room is a 507 in the provider's shape saying what to do."""
        with LiveServer(world) as server:
            api = Api(server.url)
            cap_pages(world)
            _made, refused = api.fill()
            message = assert_provider_error(refused, 507, "store_full")
            assert "store is full" in message
            assert "Free some space" in message
            api.close()

    def test_reads_go_on_while_full(self, world: Simulator) -> None:
        """Lists, single orders and the clock still answer 200 while writes are refused."""
        with LiveServer(world) as server:
            api = Api(server.url)
            cap_pages(world)
            made, _refused = api.fill()
            assert made, "the cap left no room for one order"
            assert api.http.get(f"/v2/orders/{made[-1]}").status_code == 200
            listed = api.http.get("/v2/orders", params={"limit": 100})
            assert listed.status_code == 200
            assert {order["id"] for order in listed.json()["orders"]} >= set(made)
            assert api.http.get("/_sim/clock").status_code == 200
            api.close()

    def test_writes_resume_when_room_returns_with_no_gap_in_ids(self, world: Simulator) -> None:
        """After room returns the next order takes the very number the refused one would have."""
        with LiveServer(world) as server:
            api = Api(server.url)
            cap_pages(world)
            made, _refused = api.fill()
            uncap_pages(world)
            resumed = api.create()
            assert resumed.status_code == 201, resumed.text
            names = [world.get_order(order_id)["name"] for order_id in made]
            assert resumed.json()["order"]["name"] == f"OR-{10000 + len(names) + 1}"
            api.close()

    def test_memory_and_store_agree_after_a_refused_write(self, world: Simulator) -> None:
        """A refused write leaves the store and the engine's counters exactly as before it."""
        with LiveServer(world) as server:
            api = Api(server.url)
            cap_pages(world)
            made, _refused = api.fill()
            counters = dict(world.ids.counters)
            generation = world.store.generation
            assert api.create().status_code == 507
            assert world.ids.counters == counters
            assert world.store.generation == generation
            assert counters["order"] == len(made)
            if world.store.path is not None:
                assert stored_counters(world) is not None
                assert world.count_orders() == len(made)
            api.close()

    def test_a_full_file_store_keeps_every_acknowledged_order(self, tmp_path: Path) -> None:
        """Every order acknowledged before and after the full spell is there at the next start."""
        db = tmp_path / "world.sqlite"
        sim = Simulator(start=START, db=db)
        with LiveServer(sim) as server:
            api = Api(server.url)
            cap_pages(sim)
            made, _refused = api.fill()
            uncap_pages(sim)
            made.append(api.create().json()["order"]["id"])
            api.close()
        sim.close()
        reopened = Simulator(start=START, db=db)
        try:
            assert sorted(o["id"] for o in reopened.list_orders(limit=250)["orders"]) == sorted(
                made
            )
        finally:
            reopened.close()


def _mount_tmpfs(path: Path, size: str) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],  # noqa: S607
        check=True,
        capture_output=True,
    )


def _unmount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=True, capture_output=True)  # noqa: S607


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs (this test suite runs as root, here and in CI)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    _mount_tmpfs(folder, "2m")
    try:
        yield folder
    finally:
        _unmount(folder)


def _ballast(folder: Path) -> Path:
    """Fill the disk but for about 64 KB, and return the file that takes the room."""
    usage = shutil.disk_usage(folder)
    ballast = folder / "ballast"
    ballast.write_bytes(b"\0" * max(0, usage.free - 64 * 1024))
    return ballast


class TestFullDisk:
    """A real full disk (a small tmpfs): 507, reads go on, writes resume, nothing lost."""

    def test_a_full_disk_answers_507_then_resumes(self, small_disk: Path) -> None:
        """Orders acknowledged before and after the disk filled up are all there on restart."""
        db = small_disk / "world.sqlite"
        process, url = serve_db(db, "--clock", "frozen", "--start", START)
        try:
            drain(process)
            api = Api(url)
            ballast = _ballast(small_disk)
            made, refused = api.fill()
            assert_provider_error(refused, 507, "store_full")
            assert api.http.get("/v2/orders", params={"limit": 100}).status_code == 200
            ballast.unlink()
            resumed = api.create()
            assert resumed.status_code == 201, resumed.text
            made.append(resumed.json()["order"]["id"])
            api.close()
        finally:
            process.terminate()
            process.wait(WAIT_SECONDS)
            stop(process)
        reopened = Simulator(start=START, db=db)
        try:
            assert sorted(o["id"] for o in reopened.list_orders(limit=250)["orders"]) == sorted(
                made
            )
        finally:
            reopened.close()

    def test_reads_go_on_with_a_running_clock(self, small_disk: Path) -> None:
        """A running clock's catch-up cannot save its time on a full disk; reads answer anyway."""
        db = small_disk / "world.sqlite"
        process, url = serve_db(db, "--clock", "running", "--speed", "100", "--start", START)
        try:
            drain(process)
            api = Api(url)
            ballast = _ballast(small_disk)
            made, refused = api.fill()
            assert_provider_error(refused, 507, "store_full")
            assert made, "the disk had no room for one order"
            assert api.http.get(f"/v2/orders/{made[0]}").status_code == 200
            assert api.http.get("/v2/orders").status_code == 200
            assert api.http.get("/_sim/clock").status_code == 200
            ballast.unlink()
            assert api.create().status_code == 201
            api.close()
        finally:
            stop(process)


class TestDamageWhileServing:
    """A damaged page the bounded start-up check did not reach is a 503, not a 500."""

    def test_a_damaged_page_read_while_serving_is_a_503(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Reads and writes that meet the damage answer 503 `store_damaged`, saying what to do."""
        from simulator import _storefile  # noqa: PLC0415 - the module patched

        db = tmp_path / "world.sqlite"
        _world_file(db, orders=40)
        pages = db.stat().st_size // 4096
        _zero_pages(db, pages - 19, 20)  # the last 20: order documents and order rows
        # As if the check's time ran out before it reached the damage (a very large store).
        monkeypatch.setattr(_storefile, "quick_check", lambda _conn: None)
        sim = Simulator(start=START, db=db)
        try:
            with LiveServer(sim) as server:
                api = Api(server.url)
                listed = api.http.get("/v2/orders", params={"limit": 250})
                message = assert_provider_error(listed, 503, "store_damaged")
                assert "restore" in message
                advanced = api.http.post("/_sim/clock/advance", json={"seconds": 3 * 86400})
                assert_provider_error(advanced, 503, "store_damaged")
                api.close()
        finally:
            sim.close()


def serve_in_process(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `okc-sim serve ARGS` in a subprocess expected to refuse to start."""
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=WAIT_SECONDS,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The start was refused: exit 2, one line on stderr with `words`, no traceback."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    return result.stderr


def _world_file(path: Path, orders: int = 40) -> None:
    """A file store with `orders` orders in it."""
    sim = Simulator(start=START, db=path)
    product = sim.list_products()[0]["id"]
    for _ in range(orders):
        sim.create_order(order_body(product))
    sim.close()


def _zero_pages(path: Path, first: int, count: int) -> None:
    """Overwrite `count` pages from page `first` (1-based) with zeros, as a bad disk would."""
    with sqlite3.connect(str(path)) as conn:
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with path.open("r+b") as file:
        file.seek((first - 1) * size)
        file.write(b"\0" * size * count)


class TestStartRefusals:
    """`okc-sim serve` refuses a store it cannot trust in one line, exit 2, no traceback."""

    def test_a_file_with_zeroed_pages_is_refused(self, tmp_path: Path) -> None:
        """The attack: a damaged file no longer starts (and then 500s); it is named and refused."""
        db = tmp_path / "world.sqlite"
        _world_file(db)
        _zero_pages(db, 3, 4)
        err = assert_refused(serve_in_process("--db", str(db)), str(db), "damaged", "restore")
        assert "quick check" in err

    def test_a_missing_folder_is_refused(self, tmp_path: Path) -> None:
        """A --db in a folder that does not exist names the folder."""
        db = tmp_path / "nowhere" / "world.sqlite"
        assert_refused(serve_in_process("--db", str(db)), str(db.parent), "does not exist")

    def test_a_file_that_is_not_sqlite_is_refused(self, tmp_path: Path) -> None:
        """A text file is not taken for a store (nor overwritten)."""
        db = tmp_path / "notes.txt"
        db.write_text("my notes\n" * 20, encoding="utf-8")
        assert_refused(serve_in_process("--db", str(db)), str(db), "not a SQLite database")
        assert db.read_text(encoding="utf-8") == "my notes\n" * 20

    def test_another_programs_database_is_refused(self, tmp_path: Path) -> None:
        """A SQLite file without the simulator's tables is refused, and left unchanged."""
        db = tmp_path / "theirs.sqlite"
        with contextlib.closing(sqlite3.connect(str(db))) as conn:
            conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
            conn.commit()
        assert_refused(serve_in_process("--db", str(db)), str(db), "another program")
        with contextlib.closing(sqlite3.connect(str(db))) as conn:
            tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_schema")]
        assert tables == ["accounts"]

    def test_another_schema_version_is_refused(self, tmp_path: Path) -> None:
        """A store of another schema version names both versions."""
        db = tmp_path / "old.sqlite"
        _world_file(db, orders=1)
        with contextlib.closing(sqlite3.connect(str(db))) as conn:
            conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
            conn.commit()
        assert_refused(serve_in_process("--db", str(db)), str(db), "schema version 3")

    def test_a_store_in_use_by_another_server_is_refused(self, tmp_path: Path) -> None:
        """A second okc-sim on the same --db is refused, and the first goes on serving."""
        db = tmp_path / "world.sqlite"
        process, url = serve_db(db)
        try:
            drain(process)
            assert_refused(serve_in_process("--db", str(db)), str(db), "in use")
            assert httpx.get(f"{url}/_sim/clock", timeout=WAIT_SECONDS).status_code == 200
        finally:
            stop(process)

    def test_a_folder_is_refused(self, tmp_path: Path) -> None:
        """A --db that names a folder says so."""
        assert_refused(serve_in_process("--db", str(tmp_path)), "is a folder")

    def test_a_bad_profile_is_one_line(self, tmp_path: Path) -> None:
        """A profile that is not TOML, or missing, is named in one line with what to do."""
        profile = tmp_path / "ops.toml"
        profile.write_text("timezone = \n", encoding="utf-8")
        assert_refused(serve_in_process("--profile", str(profile)), str(profile), "TOML")
        missing = tmp_path / "missing.toml"
        assert_refused(serve_in_process("--profile", str(missing)), str(missing))

    def test_a_port_in_use_is_one_line(self) -> None:
        """A taken port is refused in one line with a hint."""
        with contextlib.closing(socket.socket()) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = str(taken.getsockname()[1])
            result = subprocess.run(
                [sys.executable, "-m", "simulator.cli", "serve", "--port", port],
                capture_output=True,
                text=True,
                env=cli_env(),
                timeout=WAIT_SECONDS,
                check=False,
            )
        assert_refused(result, f"127.0.0.1:{port}", "--port 0")

    def test_an_unknown_failure_is_one_line_asking_for_a_report(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A failure nobody foresaw is still one line, with the hint to report it."""
        from simulator import _simulator, cli  # noqa: PLC0415 - the module patched

        def broken(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("something odd")

        monkeypatch.setattr(_simulator.Simulator, "__init__", broken)
        assert cli.main(["serve", "--port", "0"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "something odd" in err
        assert "report" in err


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs holding a world, remounted read-only (root can write any file, not this)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    _mount_tmpfs(folder, "8m")
    try:
        _world_file(folder / "world.sqlite", orders=1)
        subprocess.run(
            ["mount", "-o", "remount,ro", str(folder)],  # noqa: S607
            check=True,
            capture_output=True,
        )
        yield folder
    finally:
        _unmount(folder)


class TestReadOnly:
    """A store that cannot be written is refused at start, not a traceback."""

    def test_a_read_only_store_is_refused(self, read_only_disk: Path) -> None:
        """A world on a read-only disk is refused in one line naming it."""
        db = read_only_disk / "world.sqlite"
        err = assert_refused(serve_in_process("--db", str(db)), str(db))
        assert "cannot be written" in err


class TestBanner:
    """The banner tells a new world from a resumed one."""

    def test_a_new_file_starts_a_new_world(self, tmp_path: Path) -> None:
        """No file yet: "new world in FILE"."""
        db = tmp_path / "world.sqlite"
        process, _url = serve_db(db, "--clock", "frozen")
        try:
            banner = _banner(process)
        finally:
            stop(process)
        assert f"new world in {db}" in banner

    def test_an_empty_file_starts_a_new_world(self, tmp_path: Path) -> None:
        """An empty file is a new world too."""
        db = tmp_path / "empty.sqlite"
        db.touch()
        process, _url = serve_db(db, "--clock", "frozen")
        try:
            banner = _banner(process)
        finally:
            stop(process)
        assert f"new world in {db}" in banner

    def test_a_world_is_resumed_with_its_orders_and_clock(self, tmp_path: Path) -> None:
        """An existing store: "resumed world from FILE: N orders, clock at ..."."""
        db = tmp_path / "world.sqlite"
        _world_file(db, orders=3)
        process, _url = serve_db(db, "--clock", "frozen", "--start", START)
        try:
            banner = _banner(process)
        finally:
            stop(process)
        assert f"resumed world from {db}: 3 orders, clock at {START}" in banner


def _banner(process: subprocess.Popen[str]) -> str:
    """The banner lines after the URL, up to "Ctrl+C stops the server."."""
    assert process.stdout is not None
    lines = []
    for _ in range(40):
        line = process.stdout.readline()
        lines.append(line)
        if not line or line.startswith("Ctrl+C"):
            break
    return "".join(lines)


class TestStoreLost:
    """A store file deleted, replaced or truncated under a running server stops the writes."""

    @staticmethod
    def _serve(db: Path) -> tuple[subprocess.Popen[str], Api]:
        process, url = serve_db(db, "--clock", "frozen", "--start", START)
        drain(process)
        return process, Api(url)

    def test_a_truncated_file_stops_acknowledging_writes(self, tmp_path: Path) -> None:
        """The attack: after truncation the next create is a 503, not a 201 lost at restart."""
        db = tmp_path / "world.sqlite"
        process, api = self._serve(db)
        try:
            for _ in range(5):
                assert api.create().status_code == 201
            os.truncate(db, 0)
            message = assert_provider_error(api.create(), 503, "store_lost")
            assert str(db) in message
            assert "truncated" in message
            assert "start it again" in message
            assert_provider_error(api.create(), 503, "store_lost")
            assert api.http.get("/v2/orders").status_code == 503
            api.close()
        finally:
            stop(process)
        assert_refused(serve_in_process("--db", str(db)), str(db), "truncated or lost")

    def test_a_replaced_file_stops_acknowledging_writes(self, tmp_path: Path) -> None:
        """A new file moved over the store's path is noticed at the next write."""
        db = tmp_path / "world.sqlite"
        process, api = self._serve(db)
        try:
            assert api.create().status_code == 201
            other = tmp_path / "other.sqlite"
            _world_file(other, orders=1)
            other.replace(db)
            message = assert_provider_error(api.create(), 503, "store_lost")
            assert "replaced" in message
            api.close()
        finally:
            stop(process)

    def test_a_deleted_file_stops_acknowledging_writes(self, tmp_path: Path) -> None:
        """A store file removed under the server is noticed at the next write."""
        db = tmp_path / "world.sqlite"
        process, api = self._serve(db)
        try:
            assert api.create().status_code == 201
            db.unlink()
            assert "deleted" in assert_provider_error(api.create(), 503, "store_lost")
            api.close()
        finally:
            stop(process)

    def test_a_lost_store_refuses_in_python_too(self, tmp_path: Path) -> None:
        """The Python API raises StoreLost (a SimulatorError) for every later call."""
        from simulator import SimulatorError, StoreLost  # noqa: PLC0415 - the names under test

        db = tmp_path / "world.sqlite"
        _world_file(db, orders=1)
        sim = Simulator(start=START, db=db)
        product = sim.list_products()[0]["id"]
        os.truncate(db, 0)
        with pytest.raises(StoreLost):
            sim.create_order(order_body(product))
        with pytest.raises(SimulatorError):
            sim.count_orders()
        sim.close()
