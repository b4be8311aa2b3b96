r"""File and function lengths and docstrings of source files (SPEC §5.1).

Python (``.py``, ``.pyi``, and a script without a suffix whose ``#!`` line runs
Python) is measured exactly from its syntax tree (``ast``);
every other language lizard knows (JavaScript, TypeScript, Go, Java, C/C++,
Rust, ...) through lizard; any other text file gets only its line count.

Choices, each tested:

- Lines are ``\\n``-terminated (CRLF counts once); a last line without a newline
  counts; an empty file has 0 lines.
- A binary file (a NUL byte in its first 8 KiB) has ``lines=0``, ``language=None``
  and no error: it is not source code, so no length rule applies to it. Except
  in a language lizard measures: Node and C compilers read past a NUL byte, so
  such a file is measured as source (a ``.py`` with a NUL cannot be imported).
- A symlink is a link, not code: it is never followed and is measured like a
  binary file, as is a directory or a submodule. ``measure_blobs`` reads a
  commit's files from git's object store, never through the work tree; any
  other unreadable file gets ``error="cannot read: ..."``.
- Python bytes are decoded as CPython does (BOM, PEP 263 coding cookie); any text
  that cannot be decoded so is read as UTF-8 with U+FFFD replacements.
- ``public``: Python: the name does not start with ``_`` (so dunder methods need
  no docstring) and every enclosing definition is a public class — functions
  nested in functions are private. The module is public unless its file name
  starts with ``_`` (``__init__.py`` excepted). Lizard languages: the name is an
  identifier not starting with ``_`` and the function is not nested in another.
- ``has_docstring``: Python: a string literal as first statement; an empty module
  and an ``@overload`` stub (``typing`` or ``typing_extensions``) are None
  (nothing to document: the implementation carries the docstring). JS/TS: a ``/** ... */`` block ends on the line
  before the function, skipping blank lines and one-line ``@decorator`` lines.
  Other lizard languages: None (not checked).
"""

from __future__ import annotations

import ast
import codecs
import gc
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar, cast

from gatebot.adapters.git import BlobReader, Git, TreeEntry
from gatebot.core.facts import Definition, DefKind, FileMetrics

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

_T = TypeVar("_T")
PYTHON_SUFFIXES = frozenset({".py", ".pyi"})
JSDOC_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})
BINARY_SNIFF_BYTES = 8192
POOL_MIN_BYTES = 2 * 1024 * 1024
"""Below this many bytes of source, ``measure_files`` stays in-process."""
CHUNKS_PER_WORKER = 8

_Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_KINDS: dict[type[ast.stmt], DefKind] = {
    ast.FunctionDef: "function", ast.AsyncFunctionDef: "function", ast.ClassDef: "class",
}
_LOOP, _TRY = ("body", "orelse"), ("body", "orelse", "finalbody", "handlers")
_BLOCKS: dict[type[ast.stmt], tuple[str, ...]] = {
    ast.If: _LOOP, ast.For: _LOOP, ast.AsyncFor: _LOOP, ast.While: _LOOP,
    ast.With: ("body",), ast.AsyncWith: ("body",), ast.Try: _TRY, ast.TryStar: _TRY,
    ast.Match: ("cases",),
}
"""Statement blocks that may hold definitions: a list of statements, or of handlers/cases."""


def count_lines(data: bytes) -> int:
    r"""Lines in ``data``: its ``\\n`` count, +1 when the last line has no newline; 0 if empty."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _suffix(path: str) -> str:
    return PurePosixPath(path).suffix.lower()


def _count_text_lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


# -- Python -------------------------------------------------------------------------------------
def measure_python(path: str, source: str | bytes) -> FileMetrics:
    """Measure Python ``source`` (the text or raw bytes of ``path``) from its ``ast``.

    Returns the module, every class and every (async, nested) function as
    ``Definition``s sorted by line; ``line`` is the ``def``/``class`` line (never
    a decorator) and ``end_line`` the node's last line. Bytes are decoded as
    CPython does (BOM, PEP 263 cookie), falling back to UTF-8 with U+FFFD
    replacements. Source that does not parse gives no definitions and
    ``error="does not parse: line N: msg"``.
    """
    lines = count_lines(source) if isinstance(source, bytes) else _count_text_lines(source)
    tree = _parse(path, source)
    if isinstance(tree, str):
        return FileMetrics(path, lines, "python", error=tree)
    module = Definition(
        "module", path, 1, max(lines, 1), _module_public(path),
        _has_docstring(tree.body) if tree.body else None,
    )
    return FileMetrics(path, lines, "python", (module, *_python_definitions(tree)))


_UNDECODABLE = ("(unicode error)", "unknown encoding", "encoding problem")


def _parse(path: str, source: str | bytes) -> ast.Module | str:
    """The module's syntax tree, or the ``does not parse: ...`` error.

    Bytes CPython cannot decode are parsed again as UTF-8 with replacements.
    """
    try:
        return ast.parse(source, filename=path)
    except SyntaxError as exc:
        if isinstance(source, bytes) and exc.msg.startswith(_UNDECODABLE):
            return _parse(path, _decode(source))
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return f"does not parse: {where}{exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"does not parse: {str(exc) or 'too deeply nested'}"


def _module_public(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name == "__init__.py" or not name.startswith("_")


def _has_docstring(body: list[ast.stmt]) -> bool:
    first = body[0]
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


_TYPING_MODULES = frozenset({"typing", "typing_extensions"})


def _overload_names(body: list[ast.stmt]) -> tuple[set[str], set[str]]:
    """The names bound to ``typing.overload`` and to the typing modules by module-level imports.

    ``from typing import overload [as o]`` binds ``overload`` (``o``);
    ``import typing [as t]`` binds the module ``typing`` (``t``); the same for
    ``typing_extensions``. Imports inside ``if``/``try`` blocks (``if
    TYPE_CHECKING:``) count; imports inside functions do not.
    """
    functions: set[str] = set()
    modules: set[str] = set()
    stack = [body]
    while stack:
        for node in stack.pop():
            if isinstance(node, ast.ImportFrom) and node.module in _TYPING_MODULES:
                functions.update(a.asname or a.name for a in node.names if a.name == "overload")
            elif isinstance(node, ast.Import):
                modules.update(a.asname or a.name for a in node.names if a.name in _TYPING_MODULES)
            elif type(node) in _BLOCKS:
                stack.extend(_blocks(node))
    return functions, modules


def _is_overload(scope: _Scope, names: tuple[set[str], set[str]]) -> bool:
    """Whether ``scope`` is decorated with ``@overload`` or ``@typing.overload`` (see above)."""
    functions, modules = names
    for decorator in scope.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id in functions:
            return True
        if (isinstance(decorator, ast.Attribute) and decorator.attr == "overload"
                and isinstance(decorator.value, ast.Name) and decorator.value.id in modules):
            return True
    return False


def _python_definitions(tree: ast.Module) -> list[Definition]:
    """Every class and function under ``tree``, walking only statement blocks (hot path).

    An ``@overload`` stub's ``has_docstring`` is None: the implementation
    after the stubs carries the docstring.
    """
    found: list[Definition] = []
    overload = _overload_names(tree.body)
    stack: list[tuple[list[ast.stmt], str, bool]] = [(tree.body, "", True)]
    while stack:
        body, prefix, exported = stack.pop()
        for node in body:
            kind = _KINDS.get(type(node))
            if kind is not None:
                scope = cast("_Scope", node)
                name = prefix + scope.name
                public = exported and not scope.name.startswith("_")
                end = scope.end_lineno or scope.lineno
                stub = bool(scope.decorator_list) and _is_overload(scope, overload)
                doc = None if stub else _has_docstring(scope.body)
                found.append(Definition(kind, name, scope.lineno, end, public, doc))
                stack.append((scope.body, name + ".", public and kind == "class"))
            elif type(node) in _BLOCKS:
                stack.extend((block, prefix, exported) for block in _blocks(node))
    found.sort(key=lambda d: (d.line, d.end_line))
    return found


def _blocks(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    for field in _BLOCKS[type(node)]:
        value = getattr(node, field)
        if field in ("handlers", "cases"):
            yield from (item.body for item in value)
        elif value:
            yield value


# -- lizard languages ---------------------------------------------------------------------------
@cache
def _lizard_readers() -> dict[str, Any]:
    """Lizard's language readers by lower-case file suffix (``.ts`` -> reader class)."""
    from lizard_languages import languages  # noqa: PLC0415 - lizard costs ~45 ms to import

    readers: dict[str, Any] = {}
    for reader in languages():
        for ext in reader.ext:
            readers.setdefault(f".{ext.lower()}", reader)
    return readers


def lizard_language(path: str) -> str | None:
    """Lizard's name for the language of ``path`` (``javascript``, ``go``...), or None."""
    reader = _lizard_readers().get(_suffix(path))
    return None if reader is None else str(reader.language_names[0])


def measure_lizard(path: str, source: str) -> FileMetrics:
    """Measure ``source`` (the text of ``path``) with lizard; the language comes from the suffix.

    Returns a module ``Definition`` (``has_docstring`` None) and one per function
    lizard finds, ``line``/``end_line`` as lizard reports them. JS/TS functions
    get ``has_docstring`` from their JSDoc block; other languages None. A suffix
    lizard does not know gives ``language=None`` and only the line count.
    """
    lines = _count_text_lines(source)
    language = lizard_language(path)
    if language is None:
        return FileMetrics(path, lines)
    import lizard  # noqa: PLC0415 - see _lizard_readers

    info = lizard.analyze_file.analyze_source_code(path, source)
    spans = sorted((f.start_line, f.end_line, f.name) for f in info.function_list)
    text_lines = source.splitlines() if language in JSDOC_LANGUAGES else None
    module = Definition("module", path, 1, max(lines, 1), _module_public(path), None)
    definitions = [module]
    last_end = 0
    for start, end, name in spans:
        nested = start <= last_end
        last_end = max(last_end, end)
        public = not nested and name.isidentifier() and not name.startswith("_")
        doc = None if text_lines is None else _has_jsdoc(text_lines, start)
        definitions.append(Definition("function", name, start, end, public, doc))
    return FileMetrics(path, lines, language, tuple(definitions))


def _has_jsdoc(lines: list[str], line: int) -> bool:
    """Whether a ``/** ... */`` block ends above 1-based ``line`` (skipping blank, ``@`` lines)."""
    i = line - 2
    while i >= 0 and (not lines[i].strip() or lines[i].lstrip().startswith("@")):
        i -= 1
    if i < 0 or not lines[i].rstrip().endswith("*/"):
        return False
    while i >= 0 and "/*" not in lines[i]:
        i -= 1
    return i >= 0 and lines[i].lstrip().startswith("/**")


# -- files --------------------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    """UTF-8 text (without BOM), undecodable bytes replaced by U+FFFD."""
    return data.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")


def _read(full: Path, path: str) -> bytes | FileMetrics:
    if full.is_symlink():  # a link, not code: never followed (to /dev/zero, a FIFO, ...)
        return FileMetrics(path, 0)
    try:
        return full.read_bytes()
    except IsADirectoryError:
        return FileMetrics(path, 0)
    except OSError as exc:
        if full.is_symlink():
            return FileMetrics(path, 0)
        return FileMetrics(path, 0, error=f"cannot read: {exc.strerror or exc}")


def measure_file(root: Path, path: str) -> FileMetrics:
    """Measure ``root / path`` (``path`` repository-relative, ``/``-separated).

    Python goes to ``measure_python``, suffixes lizard knows to ``measure_lizard``,
    anything else gets its line count only. Binary files, directories and
    symlinks (never followed) give ``lines=0`` and no error; other read failures give
    ``error="cannot read: ..."``. Never raises for a bad file.
    """
    data = _read(root / path, path)
    if isinstance(data, FileMetrics):
        return data
    return measure_data(path, data)


def measure_data(path: str, data: bytes) -> FileMetrics:
    """Measure the bytes ``data`` of the file ``path`` (see ``measure_file``); never raises."""
    suffix = _suffix(path)
    if b"\0" in data[:BINARY_SNIFF_BYTES] and not _runs_despite_nul(suffix):
        return FileMetrics(path, 0)
    if suffix in PYTHON_SUFFIXES or (not suffix and python_shebang(data)):
        return measure_python(path, data)
    if suffix in _lizard_readers():
        return measure_lizard(path, _decode(data))
    return FileMetrics(path, count_lines(data))


def python_shebang(data: bytes) -> bool:
    """Whether ``data`` starts with a ``#!`` line that runs Python (``python``, ``python3.12``).

    A script without a suffix (``bin/deploy``) is Python code when its shebang says so,
    and is measured as such. ``env`` flags (``env -S python3 -u``) are looked past.
    """
    if not data.startswith(b"#!"):
        return False
    words = data[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    names = [PurePosixPath(w).name for w in words[:3] if not w.startswith("-")]
    return any(n == "python" or n.startswith(("python2", "python3")) for n in names)


def _runs_despite_nul(suffix: str) -> bool:
    """Whether a file with a NUL byte and this suffix is still source code.

    Node and C compilers read past a NUL; CPython refuses such a file, so a
    ``.py`` with a NUL is data.
    """
    return suffix not in PYTHON_SUFFIXES and suffix in _lizard_readers()


def _measurable(path: str) -> bool:
    suffix = _suffix(path)
    return suffix in PYTHON_SUFFIXES or suffix in _lizard_readers()


def _source_size(root: Path, path: str) -> int:
    if not _measurable(path):
        return 0
    try:
        return (root / path).stat().st_size
    except OSError:
        return 0


def _measure_chunk(root: str, paths: Sequence[str]) -> list[FileMetrics]:
    """Worker body: measure ``paths`` with the cyclic GC paused (ASTs are short-lived trees)."""
    gc.disable()
    try:
        return [measure_file(Path(root), p) for p in paths]
    finally:
        gc.enable()


def _chunks(paths: Sequence[_T], sizes: Sequence[int], count: int) -> list[list[_T]]:
    """Split ``paths`` in order into about ``count`` runs of similar total size."""
    budget = max(1, sum(sizes) // count)
    chunks: list[list[_T]] = [[]]
    filled = 0
    for path, size in zip(paths, sizes, strict=True):
        if filled >= budget:
            chunks.append([])
            filled = 0
        chunks[-1].append(path)
        filled += size
    return chunks


def default_jobs() -> int:
    """Count the CPUs this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def measure_files(root: Path, paths: Sequence[str], jobs: int | None = None) -> list[FileMetrics]:
    """Measure every path under ``root``; the result is in the order of ``paths``.

    ``jobs`` (default: usable CPUs) bounds the worker processes. Inputs under
    ``POOL_MIN_BYTES`` of source, or ``jobs=1``, are measured in-process; bigger
    ones in a process pool, in chunks of similar size (see ``pool_context`` for
    how workers start). Never raises for a bad file (see ``measure_file``).
    """
    root = Path(root)
    workers = min(jobs or default_jobs(), len(paths))
    if workers < 2:
        return [measure_file(root, p) for p in paths]
    sizes = [_source_size(root, p) for p in paths]
    if sum(sizes) < POOL_MIN_BYTES:
        return [measure_file(root, p) for p in paths]
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415 - ~25 ms, rarely needed

    chunks = _chunks(paths, sizes, workers * CHUNKS_PER_WORKER)
    with ProcessPoolExecutor(workers, mp_context=pool_context()) as pool:
        results = pool.map(_measure_chunk, repeat(str(root)), chunks)
        return [m for chunk in results for m in chunk]


def _measure_entry(reader: BlobReader, entry: TreeEntry) -> FileMetrics:
    if not entry.is_file:  # a symlink or a submodule: not code
        return FileMetrics(entry.path, 0)
    data = reader.read(entry.sha)
    if data is None:
        return FileMetrics(entry.path, 0, error=f"cannot read: blob {entry.sha} is missing")
    return measure_data(entry.path, data)


def _measure_blob_chunk(root: str, entries: Sequence[TreeEntry]) -> list[FileMetrics]:
    """Worker body: measure ``entries`` read by one ``cat-file`` process, cyclic GC paused."""
    gc.disable()
    try:
        with BlobReader(root) as reader:
            return [_measure_entry(reader, e) for e in entries]
    finally:
        gc.enable()


def measure_blobs(
    root: Path, entries: Sequence[TreeEntry], jobs: int | None = None
) -> list[FileMetrics]:
    """Measure files of a commit, read as blobs from the repository at ``root``, in order.

    ``entries`` come from ``Git.changed_entries`` or ``Git.tree_entries``. A
    symlink (mode 120000) or submodule is a link, not code: ``lines=0``, no
    definitions, never followed. Parallel as ``measure_files`` (sizes from
    ``git cat-file --batch-check``). Never raises for a bad file.
    """
    workers = min(jobs or default_jobs(), len(entries))
    if workers >= 2:
        wanted = [i for i, e in enumerate(entries) if e.is_file and _measurable(e.path)]
        sizes = [0] * len(entries)
        for i, size in zip(wanted, Git(root).blob_sizes([entries[i].sha for i in wanted]),
                           strict=True):
            sizes[i] = max(size, 0)
        if sum(sizes) >= POOL_MIN_BYTES:
            from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415 - see measure_files

            chunks = _chunks(entries, sizes, workers * CHUNKS_PER_WORKER)
            with ProcessPoolExecutor(workers, mp_context=pool_context()) as pool:
                results = pool.map(_measure_blob_chunk, repeat(str(root)), chunks)
                return [m for chunk in results for m in chunk]
    return _measure_blob_chunk(str(root), entries)


def base_line_counts(root: Path, entries: Sequence[TreeEntry]) -> dict[str, int]:
    """Each changed file's line count on the base side of its diff, by head-side path.

    ``entries`` come from ``Git.changed_entries`` (``base_sha``: the old path's
    blob for a rename). A new file (no ``base_sha``) is left out; a base side
    that was a symlink, a submodule or a binary file counts 0 lines, as
    ``measure_blobs`` measures them.
    """
    counts: dict[str, int] = {}
    if not any(entry.base_sha for entry in entries):
        return counts
    with BlobReader(root) as reader:
        for entry in entries:
            if not entry.base_sha:
                continue
            data = reader.read(entry.base_sha) if entry.base_mode in ("100644", "100755") else None
            text = data is not None and b"\0" not in data[:BINARY_SNIFF_BYTES]
            counts[entry.path] = count_lines(data) if text and data is not None else 0
    return counts


def pool_context() -> BaseContext:
    """How pool workers start: ``fork`` on Linux when this process runs one thread, else ``spawn``.

    Forking costs ~10 ms against ~300 ms to spawn and re-import, and is safe
    with no other thread holding a lock; with threads running (e.g. checks in
    parallel) workers are spawned, which needs an import-safe ``__main__``.
    """
    from multiprocessing import get_context  # noqa: PLC0415 - see measure_files

    single = threading.active_count() == 1
    return get_context("fork" if sys.platform == "linux" and single else "spawn")


# -- ast against lizard -------------------------------------------------------------------------
@dataclass(frozen=True)
class SpanDifference:
    """A function-length finding only one analyser makes, at ``path``:``line``.

    ``ours``/``lizard`` are the end lines each analyser gives a function starting
    on ``line`` (None: no such function). ``kind`` is the cause, one of
    ``does not parse`` (ast rejects the file; lizard measured it anyway),
    ``lizard ends earlier``, ``lizard ends later``, ``no lizard function``,
    ``no ast function``.
    """

    path: str
    line: int
    ours: int | None
    lizard: int | None
    kind: str


def _long_functions(metrics: Sequence[FileMetrics], max_lines: int) -> dict[tuple[str, int], int]:
    return {
        (m.path, d.line): d.end_line
        for m in metrics
        for d in m.definitions
        if d.kind == "function" and d.span > max_lines
    }


def compare_findings(
    ours: Sequence[FileMetrics], lizard: Sequence[FileMetrics], max_lines: int
) -> list[SpanDifference]:
    """Functions over ``max_lines`` lines found by only one of ``ours`` and ``lizard``.

    Both sides are measurements of the same files; functions are matched by
    (path, start line). Returns the differences sorted by path and line, each
    classified (see ``SpanDifference``); an empty list means equal findings.
    """
    ours_long, lizard_long = _long_functions(ours, max_lines), _long_functions(lizard, max_lines)
    ours_ends, lizard_ends = _long_functions(ours, 0), _long_functions(lizard, 0)
    broken = {m.path for m in ours if m.error is not None}
    differences = []
    for key in sorted(ours_long.keys() ^ lizard_long.keys()):
        mine, theirs = ours_ends.get(key), lizard_ends.get(key)
        if key[0] in broken:
            kind = "does not parse"
        elif mine is None:
            kind = "no ast function"
        elif theirs is None:
            kind = "no lizard function"
        else:
            kind = "lizard ends earlier" if theirs < mine else "lizard ends later"
        differences.append(SpanDifference(key[0], key[1], mine, theirs, kind))
    return differences
