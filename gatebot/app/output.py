"""Rendering verdicts (docs/commands.md): ``text`` (rich), ``json``, ``markdown`` and ``github``.

Data goes to stdout; progress and logs go to stderr. ``github`` prints
workflow-command annotations and appends a job summary to
``$GITHUB_STEP_SUMMARY``. User text is escaped for each medium: control
characters everywhere (``gatebot.core.printable``), Markdown tables and
headings, and workflow-command data and properties (GitHub's rules: ``%``,
CR, LF, and ``:``/``,`` in properties).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from gatebot.core.printable import printable
from gatebot.core.verdict import Finding, RuleResult, Verdict

ICON = {"pass": "✅", "fail": "❌", "skip": "⏭️", "error": "💥"}
STYLE = {"pass": "green", "fail": "red", "skip": "dim", "error": "magenta"}


_MENTION = re.compile(r"(?<![\w`])@(?=\w)")
"""An ``@`` where GitHub starts a mention (``@user``, ``@org/team``); an email's is not one."""


def md_escape(text: str) -> str:
    """Text safe inside a Markdown table cell or line: no breaks, controls, pipes or markers.

    Nor mentions: user text (a failing test's name from the branch's own JUnit report) is
    posted in the sticky comment, so ``@name`` gets a WORD JOINER (U+2060) after its ``@``
    and pings no one.
    """
    flat = " ".join(printable(text).split())
    for ch in "\\`*_[]<>|#":
        flat = flat.replace(ch, "\\" + ch)
    return _MENTION.sub("@\u2060", flat)


def render_json(verdict: Verdict) -> str:
    """The ``gatebot.verdict/1`` document, indented, with a trailing newline."""
    return json.dumps(verdict.to_json(), indent=2, ensure_ascii=False) + "\n"


def _where(path: str | None, line: int | None) -> str:
    if path is None:
        return ""
    return f"{path}:{line}" if line else path


def _plain(text: str) -> str:
    """Text for the terminal: control characters (escape sequences, line breaks) made visible."""
    return printable(text)


def render_markdown(verdict: Verdict) -> str:
    """A Markdown report: a table of rules, then each failing rule's findings."""
    task = f" — task #{verdict.task}" if verdict.task is not None else ""
    lines = [
        f"## gatebot {verdict.gate}: {ICON[verdict.verdict]} {verdict.verdict}{task}", "",
        f"Head `{verdict.head[:12]}` on base `{verdict.base[:12]}`"
        + (f", by {md_escape(verdict.actor)}" if verdict.actor else ""), "",
        "| rule | status | summary | time |", "|---|---|---|---|",
    ]
    for rule in verdict.rules:
        lines.append(
            f"| `{printable(rule.id)}` | {ICON[rule.status]} {rule.status} | {md_escape(rule.summary)} "
            f"| {rule.duration_s:.2f} s |"
        )
    for rule in verdict.failed():
        lines += ["", f"**{printable(rule.id)}**", ""]
        for f in rule.findings[:50]:
            where = _where(f.path, f.line)
            prefix = f"`{md_escape(where)}` " if where else ""
            lines.append(f"- {prefix}{md_escape(f.message)}")
    return "\n".join(lines) + "\n"


def _gh_data(text: str) -> str:
    """Workflow-command data: ``%``, CR and LF percent-encoded; other controls made visible."""
    return printable(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(verdict: Verdict) -> str:
    """Workflow-command annotations, one per finding of a failing rule (GitHub Actions)."""
    out = []
    for rule in verdict.failed():
        for f in rule.findings:
            title = f"{rule.id}: {f.test}" if f.test else rule.id  # the failing test's name
            props = [f"title={_gh_prop(title)}"]
            if f.path:
                props.insert(0, f"file={_gh_prop(f.path)}")
                if f.line:
                    props.insert(1, f"line={f.line}")
            out.append(f"::error {','.join(props)}::{_gh_data(f.message)}")
        if not rule.findings:
            out.append(f"::error title={_gh_prop(rule.id)}::{_gh_data(rule.summary)}")
    out.append(f"gatebot {verdict.gate}: {verdict.verdict}")
    return "\n".join(out) + "\n"


def write_step_summary(verdict: Verdict) -> None:
    """Append the Markdown report to ``$GITHUB_STEP_SUMMARY`` when it is set."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(render_markdown(verdict))


def render_text(verdict: Verdict, stream: IO[str]) -> None:
    """A rich table of rules and findings on ``stream`` (colour unless ``NO_COLOR``).

    Off a terminal, a verdict whose text rich would neither colour nor wrap
    (``plain_text``) is written without loading rich, character for character
    as rich writes it.
    """
    plain = plain_text(verdict, stream)
    if plain is not None:
        stream.write(plain)
    else:
        rich_text(verdict, stream)


def rich_text(verdict: Verdict, stream: IO[str]) -> None:
    """``render_text`` through rich, whatever the verdict and the stream."""
    from rich.console import Console  # noqa: PLC0415 - rich costs start-up time
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    console = Console(file=stream, highlight=False, soft_wrap=False)
    table = Table(title=_title(verdict), title_justify="left")
    for column in HEADERS:
        table.add_column(column, no_wrap=column != "summary")
    for rule in verdict.rules:
        table.add_row(_plain(rule.id), Text(rule.status, style=STYLE[rule.status]),
                      Text(_plain(rule.summary)), f"{rule.duration_s:.2f}s")
    console.print(table)
    for rule in verdict.failed():
        console.print(Text(f"{_plain(rule.id)}:", style="bold " + STYLE[rule.status]))
        for f in rule.findings[:50]:
            # soft_wrap: a finding is never broken mid-word, so a log path can be copied whole
            console.print(Text(_finding(f)), soft_wrap=True)
        if len(rule.findings) > 50:
            console.print(Text(_more(rule)))
    console.print(Text(_verdict_line(verdict), style="bold " + STYLE[verdict.verdict]))


HEADERS = ("rule", "status", "summary", "time")
_RICH_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS",
             "JUPYTER_LINES", "DATABRICKS_RUNTIME_VERSION")
"""Variables that make rich colour or size a console its own way: rich then writes the text."""
_NARROW = re.compile(r"[ -~—…]*")
"""Text every terminal shows one column per character, and rich neither marks up nor wraps."""


def _title(verdict: Verdict) -> str:
    return f"gatebot {verdict.gate} — {verdict.head[:12]}"


def _finding(finding: Finding) -> str:
    where = _where(finding.path, finding.line)
    return _plain(f"  {where + ': ' if where else ''}{finding.message}")


def _more(rule: RuleResult) -> str:
    return f"  … and {len(rule.findings) - 50} more"


def _verdict_line(verdict: Verdict) -> str:
    summary = "" if verdict.task is None else f" (task #{verdict.task})"
    return f"verdict: {verdict.verdict}{summary}"


def _plain_width(stream: IO[str]) -> int | None:
    """The width rich gives a console on ``stream`` that it will not colour; None otherwise.

    rich's own rule: the first of stdin, stdout and stderr that is a terminal
    gives the width, ``COLUMNS`` overrides it, 80 without either. None when
    ``stream`` is a terminal, or a variable of ``_RICH_ENV`` is set.
    """
    try:
        if os.name != "posix" or stream.isatty() or any(v in os.environ for v in _RICH_ENV):
            return None
    except ValueError:  # a closed stream
        return None
    width = 0
    for descriptor in (0, 1, 2):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (OSError, ValueError):
            continue
        break
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
        if width < 1:
            return None
    return width or 80


def plain_text(verdict: Verdict, stream: IO[str]) -> str | None:
    """The text ``rich_text`` writes on ``stream``, when it is plain: no colour, no wrapping.

    None when rich would colour, wrap or mark up something (a terminal, a
    character outside ``_NARROW``, a ``[`` or ``:`` in a cell rich reads as
    markup, a table wider than the console): ``rich_text`` then writes it. tests/app/test_output_plain.py compares the two on generated verdicts.
    """
    width = _plain_width(stream)
    if width is None:
        return None
    rows = [(_plain(r.id), r.status, _plain(r.summary), f"{r.duration_s:.2f}s")
            for r in verdict.rules]
    lines = [_verdict_line(verdict)]
    for rule in verdict.failed():
        lines += [f"{_plain(rule.id)}:"] + ([_more(rule)] if len(rule.findings) > 50 else [])
    findings = [_finding(f) for rule in verdict.failed() for f in rule.findings[:50]]
    marked = [_title(verdict), *(row[0] for row in rows)]
    cells = [cell for row in rows for cell in row]
    if (not all(_NARROW.fullmatch(t) for t in (*cells, *marked, *lines, *findings))
            or any("[" in t or ":" in t for t in marked)):
        return None
    sizes = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(HEADERS)]
    table_width = sum(sizes) + 3 * len(sizes) + 1
    if table_width > width or len(_title(verdict)) > table_width:
        return None  # the lines under the table are never wider than the table
    return "".join(_table(verdict, rows, sizes, table_width) + _tail(verdict))


def _table(verdict: Verdict, rows: Sequence[tuple[str, ...]], sizes: Sequence[int],
           table_width: int) -> list[str]:
    """The title and rich's ``HEAVY_HEAD`` box around ``rows``, as lines."""
    def rule(left: str, line: str, cross: str, right: str) -> str:
        return left + cross.join(line * (size + 2) for size in sizes) + right + "\n"

    def row(cells: tuple[str, ...], bar: str) -> str:
        return bar + bar.join(f" {c.ljust(size)} " for c, size in zip(cells, sizes, strict=True)
                              ) + bar + "\n"

    return [_title(verdict).ljust(table_width) + "\n", rule("┏", "━", "┳", "┓"),
            row(HEADERS, "┃"), rule("┡", "━", "╇", "┩"), *(row(r, "│") for r in rows),
            rule("└", "─", "┴", "┘")]


def _tail(verdict: Verdict) -> list[str]:
    """The lines under the table: each failing rule and its findings, then the verdict."""
    out = []
    for rule in verdict.failed():
        out.append(f"{_plain(rule.id)}:\n")
        out += [_finding(f) + "\n" for f in rule.findings[:50]]
        if len(rule.findings) > 50:
            out.append(_more(rule) + "\n")
    return [*out, _verdict_line(verdict) + "\n"]


def emit(verdict: Verdict, fmt: str, stream: IO[str] | None = None) -> None:
    """Write ``verdict`` to ``stream`` (stdout) in format ``fmt``."""
    out = stream or sys.stdout
    if fmt == "json":
        out.write(render_json(verdict))
    elif fmt == "markdown":
        out.write(render_markdown(verdict))
    elif fmt == "github":
        out.write(render_github(verdict))
        write_step_summary(verdict)
    else:
        render_text(verdict, out)


class Progress:
    """Live progress of running checks on stderr, with rich (``text`` format; animated on a TTY).

    A context manager; ``__call__(name, state)`` is invoked from check worker
    threads. rich honours ``NO_COLOR``.
    """

    def __init__(self, enabled: bool) -> None:
        """Show progress only when ``enabled``; otherwise calls are ignored."""
        self.enabled = enabled
        self.lock = threading.Lock()
        self.running: list[str] = []
        self.status: Any = None
        self.console: Any = None

    def __enter__(self) -> Progress:
        """Get ready; the spinner line starts on stderr with the first check."""
        return self

    def _start(self) -> None:
        """Start the spinner (once; a command that runs no check never imports its parts)."""
        if self.enabled and self.console is None:
            from rich.console import Console  # noqa: PLC0415 - rich costs start-up time

            self.console = Console(stderr=True, highlight=False)
            self.status = self.console.status("running checks…")
            self.status.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the spinner."""
        if self.status is not None:
            self.status.stop()

    def __call__(self, name: str, state: str) -> None:
        """Record that check ``name`` reached ``state``: a line per finished check."""
        with self.lock:
            self._start()
            if self.console is None:
                return
            if state == "start":
                self.running.append(name)
            else:
                self.running = [n for n in self.running if n != name]
                mark = {"pass": "[green]✓[/]", "fail": "[red]✗[/]"}.get(state, "[magenta]![/]")
                self.console.print(f"  {mark} checks.{name} {state}")
            self.status.update("running: " + (", ".join(self.running) or "…"))


STILL_RUNNING_EVERY_S = 60.0


class StillRunning:
    """Off a terminal, a line per running check every ``interval_s`` seconds on ``stream``.

    For output that goes to a file or a CI log, where no spinner shows that the
    checks are alive: ``checks.tests still running, 5 min``. A context manager;
    ``__call__(name, state)`` is invoked from check worker threads.
    """

    def __init__(self, enabled: bool, interval_s: float = STILL_RUNNING_EVERY_S,
                 stream: IO[str] | None = None) -> None:
        """Report every ``interval_s`` seconds (> 0) while ``enabled``; ``stream``: stderr."""
        self.enabled = enabled
        self.interval_s = interval_s
        self.stream = stream
        self.lock = threading.Lock()
        self.started: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> StillRunning:
        """Get ready to report; the reporting thread starts with the first check.

        A landing without checks starts no thread (starting one costs time).
        """
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop reporting."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join()

    def __call__(self, name: str, state: str) -> None:
        """Record that check ``name`` started (``start``) or ended (any other state)."""
        with self.lock:
            if state == "start":
                self.started[name] = time.monotonic()
                self._start_reporting()
            else:
                self.started.pop(name, None)

    def _start_reporting(self) -> None:
        """Start the reporting thread once, while enabled; the caller holds ``lock``.

        A daemon thread: it never holds the process up.
        """
        if self.enabled and self.thread is None and not self.stop.is_set():
            self.thread = threading.Thread(target=self._loop, name="gatebot-still-running",
                                           daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        while not self.stop.wait(self.interval_s):
            now = time.monotonic()
            with self.lock:
                lines = [f"checks.{name} still running, {_elapsed(now - begun)}"
                         for name, begun in self.started.items()]
            out = self.stream or sys.stderr
            for line in lines:
                print(line, file=out, flush=True)


def _elapsed(seconds: float) -> str:
    """``5 min`` from a minute on, ``42 s`` before."""
    return f"{int(seconds // 60)} min" if seconds >= 60 else f"{int(seconds)} s"


@contextmanager
def check_progress(fmt: str) -> Iterator[Callable[[str, str], None]]:
    """The ``on_event`` callback for running checks, as a context manager.

    rich's live progress for the ``text`` format, and, when stderr is not a
    terminal (a file, a CI log), a line per running check every minute.
    """
    with Progress(fmt == "text") as live, StillRunning(not sys.stderr.isatty()) as ticker:
        def both(name: str, state: str) -> None:
            live(name, state)
            ticker(name, state)

        yield both
