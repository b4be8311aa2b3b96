"""Rule ``gate-files`` (SPEC §5.1, gates 1 and 2): who may change what defines the gates.

The checks run the change's own noxfile, tox configuration and workflows, so a
change to them could weaken the very gates it is judged by; so could a change to
how pytest collects and coverage.py measures (``pytest.ini``, pytest 9's
``pytest.toml``, ``.coveragerc``,
their tables of pyproject.toml and sections of setup.cfg): ``addopts = --co``
makes the ``tests`` check pass without running a test. pytest reads the first
configuration file it finds from its arguments' directory upwards, so these
count below the root too (``tests/pytest.ini``, a ``tests/tox.ini`` with
``[pytest]``); a ``pytest11`` entry point makes the package's own module a
plugin pytest loads by itself once the checks install it; and a ``conftest.py``
at any depth is a plugin pytest loads as it collects (one that marks every test
skipped makes the ``tests`` check pass with no test run); a ``.gitattributes`` at any depth
sets how git merges and diffs (``TODO.md merge=union``); ``python -m pytest`` and
``coverage run -m`` import the working directory's modules first, so a root ``pytest.py``
(a module named after any of ``TOOL_MODULES``) replaces the tool, a new root module named
like one the tools import (``iniconfig.py``, ``argparse.py``: ``shadows``) replaces that, and a module a
configured check runs with ``-m`` is what that check is; a symlink out of the
repository (``links_out``) brings in what no one reviewed. Such a change needs
the approval of one of ``claims.maintainers`` (like a CODEOWNERS entry): at
gate 1 the approving reviewer must be a maintainer; at gate 2 the gate-1 or the
gate-2 reviewer. Looking without approving shows the rule as failing, naming
the files. Pure: paths and file texts come in as values.
"""

from __future__ import annotations

import ast
import posixpath
import tomllib
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gatebot.core.protocol import Identity
from gatebot.core.rules.globs import match_any
from gatebot.core.verdict import Finding, RuleResult

if TYPE_CHECKING:  # imported by a landing only when a kept test module changed
    from gatebot.core.rules.gate_files_tests import LostTest

RULE_ID = "gate-files"
GATE_PATHS = frozenset({"noxfile.py", "tox.ini", "tox.toml", "toxfile.py", ".gatebot.toml",
                        "pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml", ".coveragerc",
                        "setup.py"})
"""Files at the repository root that define the gates (or what the tests check and coverage do).

``toxfile.py`` is tox 4's inline plugin: tox imports it before it runs any environment.
``setup.py`` runs when the checks install the package (``pip install -e .``) inside their
environment, and can register a ``pytest11`` entry point no text states."""
CONFTEST = "conftest.py"
"""pytest's per-directory plugin: a gate file at any depth (it can skip or rewrite every test)."""
ATTRIBUTES = ".gitattributes"
"""git's per-directory attributes: a gate file at any depth. ``TODO.md merge=union`` makes every
later merge of the board (or ``noxfile.py merge=union`` of the noxfile) combine both sides
without a conflict; ``-diff`` hides a file's changes from ``git diff``."""
PYTEST_FILES = frozenset({"pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml"})
"""pytest's own configuration files: gate files at any depth (even empty, they set pytest's root)."""
NESTED_TEXTS = frozenset({"tox.ini", "pyproject.toml", "setup.cfg"})
"""Below the root, these count when their pytest, coverage or tox parts changed (texts needed)."""
WORKFLOWS = ".github/workflows/"
PYPROJECT = "pyproject.toml"
GATE_TABLES = ("gatebot", "tox", "pytest", "coverage")
"""The ``[tool.*]`` tables of pyproject.toml that define the gates; the rest of it does not."""
SETUP_CFG = "setup.cfg"
NEEDS = "needs a maintainer's approval"


def _tables(text: bytes | None) -> tuple[Any, ...] | None:
    """The gate tables of a pyproject.toml; None when it is absent; raises ValueError if bad."""
    if text is None:
        return (None,) * (len(GATE_TABLES) + 2)
    doc = tomllib.loads(text.decode("utf-8"))
    tool = doc.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    project = doc.get("project")
    points = project.get("entry-points") if isinstance(project, dict) else None
    plugins = points.get("pytest11") if isinstance(points, dict) else None
    return (*(tool.get(name) for name in GATE_TABLES), plugins, doc.get("build-system"))


def pyproject_gates_changed(before: bytes | None, after: bytes | None) -> bool:
    """Whether two pyproject.toml texts differ in what defines the gates.

    That is a ``GATE_TABLES`` table of ``[tool]``, the ``pytest11`` entry
    points of ``[project.entry-points]``, or ``[build-system]`` (the backend that runs
    when the checks install the package, which ``backend-path`` may take from the tree).

    ``None`` means the file is absent. A text that cannot be read as UTF-8
    TOML counts as a change (it cannot be shown not to be one).
    """
    try:
        return _tables(before) != _tables(after)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True


def _sections(text: bytes | None) -> dict[str, dict[str, str]]:
    """setup.cfg's (or tox.ini's) sections for pytest, coverage.py and tox.

    ``[tool:pytest]``, tox.ini's ``[pytest]``, ``[coverage:*]``, tox's ``[tox:tox]`` and
    ``[testenv*]``, and the ``pytest11`` key of ``[options.entry_points]``.
    Raises ``configparser.Error`` when the text is not an INI file.
    """
    import configparser  # noqa: PLC0415 - read only when a change touches setup.cfg

    parser = configparser.RawConfigParser(interpolation=None)
    parser.read_string((text or b"").decode("utf-8"))
    found = {name: dict(parser[name]) for name in parser.sections()
             if name in ("tool:pytest", "pytest", "tox:tox")
             or name.startswith(("coverage:", "testenv"))}
    if parser.has_option("options.entry_points", "pytest11"):
        found["options.entry_points"] = {"pytest11": parser["options.entry_points"]["pytest11"]}
    return found


def setup_cfg_gates_changed(before: bytes | None, after: bytes | None) -> bool:
    """Whether setup.cfg's pytest or coverage sections differ (unreadable text counts)."""
    import configparser  # noqa: PLC0415 - read only when a change touches setup.cfg

    try:
        return _sections(before) != _sections(after)
    except (UnicodeDecodeError, configparser.Error):
        return True


Texts = tuple[bytes | None, bytes | None]
"""A file's text at the merge base and at the head (None: absent)."""
NOXFILE = "noxfile.py"


def noxfile_imports(text: bytes | None) -> frozenset[str]:
    """The dotted names of the modules a noxfile imports, anywhere in the file.

    ``import a.b`` gives ``a`` and ``a.b``; ``from a import b`` gives ``a`` and ``a.b``
    (``b`` may be a module). Absolute imports only. Empty when ``text`` is None or is
    not Python.
    """
    if text is None:
        return frozenset()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    dotted: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            dotted.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            dotted.update(f"{node.module}.{alias.name}" for alias in node.names)
    names: set[str] = set()
    for name in dotted:
        parts = name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(names)


def noxfile_helpers(paths: Sequence[str], noxfile: Texts) -> list[str]:
    """The paths among ``paths`` that are modules the noxfile imports (base or head text).

    nox puts the noxfile's directory on ``sys.path``, so ``import ci_sessions`` runs the
    repository's ``ci_sessions.py`` (or ``ci_sessions/__init__.py``): editing it changes
    the sessions as editing the noxfile would. Only the modules named count, not what
    they import in turn.
    """
    names = noxfile_imports(noxfile[0]) | noxfile_imports(noxfile[1])
    files = {f"{n.replace('.', '/')}{tail}" for n in names for tail in (".py", "/__init__.py")}
    return [p for p in paths if p in files]


TOOL_MODULES = frozenset({"pytest", "_pytest", "py", "pluggy", "coverage", "nox", "tox",
                          "mypy", "ruff", "unittest", "hypothesis", "pytest_cov", "xdist", "pip"})
"""Modules the checks run with ``python -m`` (or import while testing): a module of the same
name at the repository root is imported instead of the real one, since ``python -m`` and
``coverage run -m`` put the working directory first on ``sys.path``. ``pip``: the staging
workflow runs ``python -m pip install`` in the staging commit's checkout before gatebot is
installed (a root ``pip/`` would install a ``gatebot`` of its own that passes everything)."""


def command_modules(commands: Mapping[str, str | Sequence[str]]) -> frozenset[str]:
    """The dotted modules the configured check commands run with ``-m`` (``app.selftest``)."""
    found: set[str] = set()
    for command in commands.values():
        argv = command.split() if isinstance(command, str) else list(command)
        found.update(argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "-m")
    return frozenset(found)


def module_files(paths: Sequence[str], modules: frozenset[str]) -> list[str]:
    """The paths among ``paths`` that are one of ``modules`` as Python imports it from the root.

    A dotted module ``a.b`` is ``a/b.py`` (or ``.pyc``, an extension ``a/b*.so``/``.pyd``), or
    the ``__init__`` or ``__main__`` of the package ``a/b/``; the ``__init__`` of each parent
    package runs too. ``TOOL_MODULES`` count always (``pytest.py`` shadows pytest).
    """
    wanted = {name.split(".")[0] for name in TOOL_MODULES} | set(modules)
    prefixes = {".".join(n.split(".")[:i]) for n in wanted for i in range(1, n.count(".") + 1)}
    found = []
    for path in paths:
        parent, _, leaf = path.rpartition("/")
        stem = leaf.split(".", 1)[0]
        suffix = leaf.rsplit(".", 1)[-1] if "." in leaf else ""
        if suffix not in ("py", "pyc", "so", "pyd"):
            continue
        package = parent.replace("/", ".")
        if (f"{package}.{stem}" if package else stem) in wanted \
                or (stem in ("__init__", "__main__") and package in wanted) \
                or (stem == "__init__" and package in prefixes):
            found.append(path)
    return found


def root_module(path: str) -> str | None:
    """The top-level module ``path`` is when Python imports it from the root; else None.

    ``name.py`` (``.pyc``, an extension ``name*.so``/``.pyd``) at the root, or the
    ``__init__``/``__main__`` of a root package ``name/``.
    """
    parent, _, leaf = path.rpartition("/")
    stem, _, suffix = leaf.partition(".")
    if suffix.rsplit(".", 1)[-1] not in ("py", "pyc", "so", "pyd") or "/" in parent:
        return None
    if not parent:
        return stem or None
    return parent if stem in ("__init__", "__main__") else None


def shadows(added: Sequence[str], importable: Collection[str]) -> list[str]:
    """The paths among ``added`` that are a new root module named like one of ``importable``.

    ``python -m pytest`` (and ``coverage run -m``) put the root first on ``sys.path`` before
    pytest imports its own dependencies and the standard library's modules it needs: a new
    root ``iniconfig.py`` or ``argparse.py`` that exits 0 runs instead, and no test does.
    ``importable``: the top-level modules the checks' interpreter finds elsewhere (its
    standard library, its installed distributions). Only added paths count: editing a root
    module the repository already has is its own code, which the tests import anyway.
    """
    return [p for p in added if root_module(p) in importable]


_ANY_DEPTH = frozenset({CONFTEST, ATTRIBUTES, *PYTEST_FILES, *NESTED_TEXTS})
_AT_ROOT = frozenset({*GATE_PATHS, PYPROJECT, SETUP_CFG, NOXFILE})


def case_twins(paths: Sequence[str]) -> list[str]:
    """The paths among ``paths`` named like a gate file but for the case of their letters.

    On a case-insensitive file system (macOS's and Windows' defaults) ``CONFTEST.py`` is
    the ``conftest.py`` pytest opens and ``Pytest.ini`` its ``pytest.ini``; on Linux they
    are only look-alikes. Either way they count as the gate file they stand for.
    """
    found = []
    for path in paths:
        parent, _, leaf = path.rpartition("/")
        names = _ANY_DEPTH if parent else _ANY_DEPTH | _AT_ROOT
        folded = {n.casefold(): n for n in names}
        if leaf.casefold() in folded and folded[leaf.casefold()] != leaf:
            found.append(path)
    return found


def deleted_tests(deleted: Sequence[str], test_patterns: Sequence[str],
                  source_patterns: Sequence[str]) -> list[str]:
    """The test modules among the ``deleted`` paths: test files that are also source code.

    The tests are what the ``tests`` check runs: a change that breaks a test and deletes
    it passes that check. Deleting one (a rename is no deletion) needs a maintainer, as
    editing ``conftest.py`` does. Fixtures and data under ``tests/`` do not count.
    """
    return [p for p in deleted if match_any(p, test_patterns) and match_any(p, source_patterns)]


def links_out(targets: Mapping[str, str]) -> list[str]:
    """The symlinks among ``targets`` (path → the link's text) that lead out of the repository.

    An absolute target, or a relative one that climbs above the root, names a file the
    change does not hold: what it leads to (a directory of ``conftest.py`` files on a
    shared machine, a module imported as the link's name) is never reviewed. In path order.
    """
    found = []
    for path, target in targets.items():
        dest = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if posixpath.isabs(target) or dest == ".." or dest.startswith("../"):
            found.append(path)
    return sorted(found)


def gate_file_changes(
    paths: Sequence[str], pyproject: Texts = (None, None), setup_cfg: Texts = (None, None),
    nested: Mapping[str, Texts] | None = None, noxfile: Texts = (None, None), *,
    modules: frozenset[str] = frozenset(), added: Sequence[str] = (),
    importable: Collection[str] = frozenset(),
) -> list[str]:
    """The paths among ``paths`` (added, modified, deleted or renamed) that define the gates.

    ``pyproject`` and ``setup_cfg`` are the root files' texts at the merge base
    and at the head; each counts only when its gate tables (``GATE_TABLES``)
    or sections (``_sections``) differ. ``conftest.py`` and ``.gitattributes`` count at any
    depth; below the root, ``PYTEST_FILES`` always count, and a ``NESTED_TEXTS`` file counts
    when its texts in ``nested`` (path → texts; absent means unchanged) differ in those parts. ``noxfile``: the
    noxfile's texts; the root modules it imports count (``noxfile_helpers``). ``modules``:
    the modules the configured checks run (``command_modules``); they and the root modules
    named like a check's tool count (``module_files``), as do the root modules among the
    ``added`` paths named like one of ``importable`` (``shadows``). Sorted, no repeats.
    """
    found = {p for p in paths if p in GATE_PATHS or p.startswith(WORKFLOWS)
             or p.rsplit("/", 1)[-1] in (CONFTEST, ATTRIBUTES)}
    if PYPROJECT in paths and pyproject_gates_changed(*pyproject):
        found.add(PYPROJECT)
    if SETUP_CFG in paths and setup_cfg_gates_changed(*setup_cfg):
        found.add(SETUP_CFG)
    found.update(p for p in paths if "/" in p and _nested_changed(p, (nested or {}).get(p)))
    found.update(noxfile_helpers(paths, noxfile))
    found.update(module_files(paths, modules))
    found.update(shadows(added, importable))
    found.update(case_twins(paths))
    return sorted(found)


def _nested_changed(path: str, texts: Texts | None) -> bool:
    """Whether ``path`` below the root configures pytest, coverage.py or tox differently."""
    name = path.rsplit("/", 1)[1]
    if name in PYTEST_FILES:
        return True
    if name not in NESTED_TEXTS or texts is None:
        return False
    if name == PYPROJECT:
        return pyproject_gates_changed(*texts)
    return setup_cfg_gates_changed(*texts)


def same_person(actor: str, maintainer: str) -> bool:
    """Whether ``actor`` names ``maintainer``: equal as identities compare (``protocol.fold``).

    A maintainer may be listed by name or by email; the actor is compared as
    given (``--as``, ``GATEBOT_ACTOR`` or git ``user.email``).
    """
    return Identity(actor).matches_any([maintainer])


def evaluate(
    changed: Sequence[str], *, maintainers: Sequence[str], approvers: Sequence[str],
    lost: Sequence[LostTest] = (),
) -> RuleResult:
    """``gate-files`` for the gate files ``changed`` and the reviewers approving the change.

    ``approvers``: at gate 1 the approving actor (empty when only looking), at
    gate 2 the gate-1 and gate-2 reviewers. ``lost``: the tests the change removes
    from or skips in a kept test module (``gate_files_tests.lost_tests``). Passes
    when nothing that defines the gates changed and no test was lost, or when one
    approver is among ``maintainers``. Fails otherwise, with "needs a maintainer's
    approval" and one finding per file, then one per lost test (its file, line and name).
    """
    if not changed and not lost:
        return RuleResult(RULE_ID, "pass", "no file that defines the gates changed")
    names = "; ".join([*([f"{', '.join(changed)} changed"] if changed else []),
                       *([", ".join(f"{t.label} {t.how}" for t in lost)] if lost else [])])
    for approver in approvers:
        if any(same_person(approver, m) for m in maintainers):
            return RuleResult(RULE_ID, "pass", f"{names}; approved by maintainer {approver}")
    who = _who(maintainers)
    return RuleResult(RULE_ID, "fail", f"{names}: {NEEDS}{_why(approvers)}", (
        *(Finding(f"defines the gates: {NEEDS} ({who})", path=p) for p in changed),
        *(Finding(f"test {t.name} {_LOST[t.how]}: {NEEDS} ({who})", path=t.path, line=t.line,
                  test=t.label) for t in lost)))


_LOST = {"removed": "is no longer collected from this kept test module (line of the merge "
                    "base); a test moved to another file keeps its name",
         "skipped": "ran at the merge base and is now skipped"}


def _why(approvers: Sequence[str]) -> str:
    if not approvers:
        return ""
    return f" ({', '.join(approvers)} {'is' if len(approvers) == 1 else 'are'} not one)"


def _who(maintainers: Sequence[str]) -> str:
    if not maintainers:
        return "no maintainers are configured: set claims.maintainers on the base branch"
    return "claims.maintainers: " + ", ".join(maintainers)
