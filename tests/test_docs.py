"""Tests that the documentation site builds and that every example in docs/*.md runs as written.

What a page author can rely on (and must follow):

- Every fenced block has a language tag. `python`, `sh`/`bash`, `ts` and `js` blocks are
  examples; `text`, `json`, `toml`, `yaml` and `mermaid` blocks are shown, never run here
  (`typescript` blocks need npm packages: tests/test_typescript.py runs them). Any other
  tag, or none, fails `TestFences`.
- Each kind of example on a page (shell, Python, pytest, JavaScript) runs against its own
  live server, started as
  `okc-sim serve --port 0 --clock frozen --start 2026-03-02T17:00:00Z --seed 0` (Monday 09:00
  Pacific; the next batch is 2026-03-03T08:00:00Z). In every example, `http://127.0.0.1:8080`
  is replaced by that server's URL.
- `sh`/`bash` blocks that call `curl` run in page order in one bash session
  (`set -eo pipefail`), so variables carry from block to block. A `curl -d @FILE` must find
  FILE (write it in the same block, e.g. with a heredoc). Other shell blocks
  (installs, `make serve`, `okc-sim serve`) are not run. Background processes a block starts
  are stopped when the session ends.
- `python` blocks run in page order in one namespace per page, like a REPL session. The
  namespace starts with `sim`, a fresh frozen `Simulator(start=START, seed=0)`. A `python`
  block that defines `def test_...` is a pytest module instead: a page's test modules run
  together in a pytest subprocess, with the `okc_sim` plugin and `-W error`, and every test
  must pass.
- A `js` block runs with `node` as an ES module. A `ts` block must equal the `js` block that
  follows it once its `: Type` annotations are removed, so the two cannot drift apart.
- A line with `# => text` (`// => text` in `js` and `ts`) states output: the block's output
  must contain `text`.
- A `toml` block whose first line is `# NAME.toml: ...` is written to NAME.toml in the
  examples' working directory (a scratch directory) before the page's examples run.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

from simulator import Simulator

pytestmark = pytest.mark.slow  # the docs pages' examples, in subprocesses and a MkDocs build

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import CodeType

pytest_plugins = ("pytester",)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent
START = "2026-03-02T17:00:00Z"
DOC_URL = "http://127.0.0.1:8080"
RUN = frozenset({"python", "sh", "bash", "ts", "js"})
SHOWN = frozenset({"text", "json", "toml", "yaml", "mermaid", "typescript"})
SERVER_START_SECONDS = 30.0
SESSION_SECONDS = 180.0

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})(?P<tag>[^`\s]*)[^`]*$")
EXPECTED = {"#": re.compile(r"#\s*=>\s*(.+?)\s*$"), "//": re.compile(r"//\s*=>\s*(.+?)\s*$")}
DATA_FILE = re.compile(r"(?:-d|--data(?:-binary|-raw)?)\s+['\"]?@([^\s'\"]+)")
NAMED_FILE = re.compile(r"^#\s*([\w.-]+\.toml)\s*:")
# A TypeScript annotation: `: T`, `?: T`, with T a primitive or a capitalised (generic) name,
# or a union of those, before `,` `)` `=` `;` `{` or the end of the line.
_TYPE = r"(?:string|number|boolean|unknown|any|void|never|object|[A-Z]\w*(?:<[\w\s,<>\[\]|]*>)?)"
_UNION = rf"{_TYPE}(?:\[\])*(?:\s*\|\s*(?:{_TYPE}|null|undefined)(?:\[\])*)*"
ANNOTATION = re.compile(rf"\??:\s*{_UNION}(?=\s*[,)=;{{]|\s*$)")
COMMENT = re.compile(r"(?:^|(?<=\s))//")


@attrs.frozen
class Block:
    """One fenced block of a page: its language tag, the line of its opening fence, its text."""

    page: str
    line: int
    tag: str
    code: str

    @property
    def where(self) -> str:
        """Where the block is, for messages: `docs/page.md:12`."""
        return f"docs/{self.page}:{self.line}"

    def expected(self) -> list[str]:
        """The outputs the block states with `# => text` (or `// => text`)."""
        marker = EXPECTED["//" if self.tag in {"js", "ts"} else "#"]
        return [m.group(1) for line in self.code.splitlines() if (m := marker.search(line))]

    def is_pytest_module(self) -> bool:
        """Whether the block is a pytest module rather than a session snippet."""
        return (
            self.tag == "python"
            and re.search(r"^(?:def test_|class Test)", self.code, re.MULTILINE) is not None
        )

    def for_server(self, url: str) -> str:
        """The code, talking to the live server at `url` instead of the documented one."""
        return self.code.replace(DOC_URL, url)

    def compiled(self, url: str) -> CodeType:
        """The Python code for `exec`, with tracebacks naming the page and its line numbers."""
        padded = "\n" * self.line + self.for_server(url)
        return compile(padded, f"docs/{self.page}", "exec")


def fenced_blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, in order (fences may be indented, as in lists)."""
    blocks: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, first = len(opening["indent"]), opening["fence"], index + 1
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        blocks.append(Block(page.name, first, opening["tag"].lower(), "\n".join(body) + "\n"))
        index += 1
    return blocks


def pages() -> list[Path]:
    """The documentation pages."""
    return sorted(DOCS.glob("*.md"))


def strip_annotations(typescript: str) -> str:
    """TypeScript without its `: Type` annotations: the plain JavaScript it stands for.

    Comments (from a `//` at the start of a line or after a space) are left as they are.
    """
    lines = []
    for line in typescript.splitlines(keepends=True):
        comment = COMMENT.search(line)
        cut = comment.start() if comment else len(line)
        lines.append(ANNOTATION.sub("", line[:cut]) + line[cut:])
    return "".join(lines)


def missing(expected: list[str], output: str) -> list[str]:
    """The stated outputs that do not appear in the actual output."""
    return [text for text in expected if text not in output]


def subprocess_env() -> dict[str, str]:
    """The environment of every example process: this checkout's code and the venv's tools."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OKC_SIM")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return env


def tool(name: str) -> str:
    """The path of a program the examples need; fails the test when it is not installed."""
    found = shutil.which(name, path=subprocess_env()["PATH"])
    assert found is not None, f"The documentation examples need `{name}` on PATH."
    return found


class LiveServer:
    """`okc-sim serve` in a subprocess, with its URL read from the first line it prints."""

    def __init__(self, workdir: Path) -> None:
        """Start the server; `url` is set once it printed its first line."""
        self.lines: list[str] = []
        self._first = threading.Event()
        command = [tool("okc-sim"), "serve", "--port", "0", "--clock", "frozen"]
        command += ["--start", START, "--seed", "0"]
        self._log = (workdir / "okc-sim.log").open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        # Drain stdout for the server's whole life: its access log would fill a pipe.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        started = self._first.wait(SERVER_START_SECONDS) and self.lines
        if not started or not self.lines[0].startswith("http://"):
            self.stop()
            log = (workdir / "okc-sim.log").read_text(encoding="utf-8", errors="replace")
            pytest.fail(f"okc-sim serve did not print its URL: {self.lines[:3]}\n{log}")
        self.url = self.lines[0].strip()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self._first.set()
        self._first.set()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL if it hangs)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The examples' working directory: a scratch directory of their own."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@contextlib.contextmanager
def live_server(workdir: Path) -> Iterator[str]:
    """A live simulator for one kind of example on a page; yields its URL.

    Each kind (shell, Python, pytest, node) gets its own: on a frozen clock, a session that
    ends exactly at a batch would leave the next one's tokens expiring exactly at the next.
    """
    live = LiveServer(workdir)
    try:
        yield live.url
    finally:
        live.stop()


def write_named_files(blocks: list[Block], workdir: Path) -> None:
    """Write each `toml` block that names its file on its first line."""
    for block in blocks:
        named = NAMED_FILE.match(block.code) if block.tag == "toml" else None
        if named is not None:
            (workdir / named.group(1)).write_text(block.code, encoding="utf-8")


def run_shell_session(blocks: list[Block], url: str, workdir: Path) -> None:
    """Run a page's curl blocks in one bash session and check what each states it prints."""
    separator = "::okc-docs-block::"
    script = ["set -eo pipefail"]
    for block in blocks:
        script += [f"printf '%s\\n' '{separator}'", block.for_server(url)]
    process = subprocess.Popen(
        [tool("bash"), "-c", "\n".join(script)],
        cwd=workdir,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so the background processes a block starts can be stopped
    )
    try:
        out, err = process.communicate(timeout=SESSION_SECONDS)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait()
    outputs = out.split(separator + "\n")[1:]
    failed = blocks[len(outputs) - 1] if outputs else blocks[0]
    assert process.returncode == 0, (
        f"The shell session stopped with status {process.returncode} in the block at "
        f"{failed.where}:\n{failed.code}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
    )
    for block in blocks:
        # curl -s quietly sends an empty body when `-d @FILE` names a file that is not there.
        absent = [name for name in DATA_FILE.findall(block.code) if not (workdir / name).exists()]
        assert not absent, f"{block.where} posts {absent}, which no example on the page writes."
    for block, output in zip(blocks, outputs, strict=True):
        assert not missing(block.expected(), output), (
            f"{block.where} states output {missing(block.expected(), output)} but printed:\n"
            f"{output}\n--- stderr ---\n{err}"
        )


def run_python_session(blocks: list[Block], url: str) -> None:
    """Run a page's Python snippets in one namespace and check what each states it prints."""
    sim = Simulator(start=START, seed=0)
    namespace: dict[str, object] = {"__name__": "__docs__", "sim": sim}
    try:
        for block in blocks:
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                exec(block.compiled(url), namespace)  # noqa: S102 - our own docs
            assert not missing(block.expected(), output.getvalue()), (
                f"{block.where} states output {missing(block.expected(), output.getvalue())} "
                f"but printed:\n{output.getvalue()}"
            )
    finally:
        sim.close()


def run_pytest_modules(blocks: list[Block], url: str, pytester: pytest.Pytester) -> None:
    """Run a page's pytest modules in a subprocess, with the okc_sim plugin; all must pass."""
    for number, block in enumerate(blocks, start=1):
        name = f"test_{Path(block.page).stem.replace('-', '_')}_{number}.py"
        pytester.path.joinpath(name).write_text(block.for_server(url), encoding="utf-8")
    declared = sum(len(re.findall(r"^\s*def test_", b.code, re.MULTILINE)) for b in blocks)
    # `no:okc_sim` then `-p`: the plugin loads once whether or not its entry point is installed.
    options = ("-p", "no:okc_sim", "-p", "simulator.pytest_plugin", "-W", "error", "-q")
    result = pytester.runpytest_subprocess(*options, timeout=SESSION_SECONDS)
    outcomes = result.parseoutcomes()
    where = ", ".join(block.where for block in blocks)
    assert result.ret == 0, f"pytest failed for {where}:\n{result.stdout.str()}"
    assert outcomes.get("passed", 0) >= declared, f"{where}: {outcomes}\n{result.stdout.str()}"


def run_node(blocks: list[Block], url: str, workdir: Path) -> None:
    """Run each `js` block with node and check what it states it prints."""
    for number, block in enumerate(blocks, start=1):
        script = workdir / f"example_{number}.mjs"
        script.write_text(block.for_server(url), encoding="utf-8")
        done = subprocess.run(
            [tool("node"), str(script)],
            cwd=workdir,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=SESSION_SECONDS,
            check=False,
        )
        assert done.returncode == 0, f"{block.where} failed:\n{done.stdout}\n{done.stderr}"
        assert not missing(block.expected(), done.stdout), (
            f"{block.where} states output {missing(block.expected(), done.stdout)} "
            f"but printed:\n{done.stdout}"
        )


def is_curl_block(block: Block) -> bool:
    """Whether a block is a shell example that calls curl (and so is run)."""
    return block.tag in {"sh", "bash"} and re.search(r"\bcurl\b", block.code) is not None


class TestFences:
    """Every code block says what it is."""

    @pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
    def test_every_block_has_a_known_tag(self, page: Path) -> None:
        """Each fenced block is tagged as an example or as shown-only text."""
        unknown = [
            f"{block.where}: {block.tag or '(no tag)'}"
            for block in fenced_blocks(page)
            if block.tag not in RUN | SHOWN
        ]
        assert not unknown, f"Tag these blocks with one of {sorted(RUN | SHOWN)}: {unknown}"

    def test_fences_are_parsed_with_their_tags_and_lines(self, tmp_path: Path) -> None:
        """Blocks are found with their tag, first line and dedented text, lists included."""
        page = tmp_path / "page.md"
        page.write_text(
            "# T\n\n```sh\necho hi\n```\n\n- item\n\n    ```python\n    x = 1\n    ```\n",
            encoding="utf-8",
        )
        assert fenced_blocks(page) == [
            Block("page.md", 3, "sh", "echo hi\n"),
            Block("page.md", 9, "python", "x = 1\n"),
        ]


class TestHarness:
    """The example runner's own parsing holds."""

    def test_data_files_are_found_in_curl_options(self) -> None:
        """`-d @FILE`, `--data-binary '@FILE'` and `--data "@FILE"` name the files curl reads."""
        command = "curl -d @a.json --data-binary '@b.json' --data \"@c.json\" -d '{}'"
        assert DATA_FILE.findall(command) == ["a.json", "b.json", "c.json"]

    def test_stated_outputs_are_read_per_language(self) -> None:
        """`# =>` marks output in Python and shell, `// =>` in JavaScript and TypeScript."""
        assert Block("p.md", 1, "sh", "echo hi  # => hi\n").expected() == ["hi"]
        assert Block("p.md", 1, "js", "log(1); // => 1\n# => no\n").expected() == ["1"]


class TestTypeScriptTwins:
    """Each TypeScript example has a JavaScript twin that is the same code."""

    def test_strip_annotations_removes_types_only(self) -> None:
        """Parameter, return and variable annotations go; object literals and ternaries stay."""
        typescript = (
            "async function f(a: string, b?: unknown, c: Record<string, string> = {}): "
            "Promise<string | null> {\n"
            '  const x: number = a ? 1 : 2;\n  return { key: "v", n: x };\n}\n'
        )
        assert strip_annotations(typescript) == (
            "async function f(a, b, c = {}) {\n"
            '  const x = a ? 1 : 2;\n  return { key: "v", n: x };\n}\n'
        )

    @pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
    def test_each_ts_block_matches_the_js_block_after_it(self, page: Path) -> None:
        """A `ts` block minus its annotations is exactly the `js` block that follows it."""
        blocks = [block for block in fenced_blocks(page) if block.tag in {"ts", "js"}]
        for index, block in enumerate(blocks):
            if block.tag != "ts":
                continue
            twin = blocks[index + 1] if index + 1 < len(blocks) else None
            assert twin is not None, f"{block.where}: no ```js twin follows this ```ts block."
            assert twin.tag == "js", f"{block.where}: the next block is {twin.tag}, not js."
            assert strip_annotations(block.code) == twin.code, (
                f"{block.where} and {twin.where} differ beyond type annotations."
            )


class TestExamples:
    """Every example on every page runs as written."""

    @pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
    def test_page_examples_run(
        self,
        page: Path,
        workdir: Path,
        request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The page's shell, Python, pytest and JavaScript examples all succeed."""
        blocks = fenced_blocks(page)
        write_named_files(blocks, workdir)
        monkeypatch.chdir(workdir)
        if shell := [block for block in blocks if is_curl_block(block)]:
            with live_server(workdir) as url:
                run_shell_session(shell, url, workdir)
        python = [block for block in blocks if block.tag == "python"]
        if snippets := [block for block in python if not block.is_pytest_module()]:
            with live_server(workdir) as url:
                run_python_session(snippets, url)
        if modules := [block for block in python if block.is_pytest_module()]:
            pytester = request.getfixturevalue("pytester")
            monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
            with live_server(workdir) as url:
                run_pytest_modules(modules, url, pytester)
        if scripts := [block for block in blocks if block.tag == "js"]:
            with live_server(workdir) as url:
                run_node(scripts, url, workdir)

    def test_stated_output_must_appear(self) -> None:
        """A block that states output it does not print is reported."""
        block = Block("page.md", 3, "python", 'print("Pending")  # => Accepted\n')
        with pytest.raises(AssertionError, match=r"states output \['Accepted'\]"):
            run_python_session([block], DOC_URL)


class TestSite:
    """The documentation site builds."""

    def test_mkdocs_build_strict_succeeds(self, tmp_path: Path) -> None:
        """`mkdocs build --strict` passes and publishes every page, the changelog included."""
        site = tmp_path / "site"
        done = subprocess.run(
            [tool("mkdocs"), "build", "--strict", "--site-dir", str(site)],
            cwd=ROOT,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=SESSION_SECONDS,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        for page in pages():
            built = "index.html" if page.stem == "index" else f"{page.stem}/index.html"
            assert (site / built).is_file(), f"{page.name} was not published"
        changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
        assert "Keep a Changelog" in changelog
        assert not list(site.rglob("*.py")), "scripts under docs/ must not be published"
