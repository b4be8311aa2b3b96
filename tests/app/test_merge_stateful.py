"""Gate 2 against an adversary (SPEC §3, §5.3): a hypothesis state machine on real git.

Agents act on one bare ``origin``: builders push to task branches (and sometimes
bring ``main`` into them), reviewers approve at gate 1 (some are builders, so
ineligible), another agent advances ``main`` (sometimes conflicting, sometimes
adding a marker file that makes the check fail next to the task's marker), and
random actors run ``gatebot merge``; a task whose approval a push voided is
rejected, claimed and submitted again, and new tasks are added as others are
released. The check is the noxfile's ``tests`` session, which also writes down
every tree it judged (``retests.log``, outside the repositories).

The adversary's moves: approving with ``--only`` (a partial verdict); acting under
a second identity — a second name from one's own git identity, or the full-width
(NFKC) spelling of one's name from a second machine's git identity; deleting or
weakening the noxfile on a branch; pushing after an approval; adding a symlink
under a board path (pointing outside the repository). After every step these
invariants are read back from ``origin``:

- ``main`` only moves forward (the old tip is an ancestor of the new one);
- every commit with a second parent on ``main``'s first-parent chain is one
  task's release of a head approved at gate 1 by an approval this test saw
  succeed, with a *full, passing* gate-1 verdict on that head; the two reviewers
  are two people (by who acted, whatever name they used), neither of whom
  built the head;
- every release tree was re-tested at gate 2 and passed: the noxfile logged a
  passing run on that exact tree, and the test's own check agrees;
- ``main`` keeps its noxfile and never holds a symlink; the file outside the
  repository a planted link points to is never written;
- at most one release commit per task, and the RELEASED section of TODO.md
  holds exactly the tasks that have one.

The settings are derandomised (the same examples every run) and the scenarios
that once slipped through are explicit sequences below the machine: breaking
gate 2 (dropping the re-test, or letting the gate-1 reviewer merge) fails this
file on every run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.repos import git, make_repo, run_cli

TASKS = (1, 2)
BUILDERS = ("builder-one", "builder-two")
REVIEWERS = ("rev-a", "rev-b", "rev-c")
ACTORS = (*REVIEWERS, *REVIEWERS, *BUILDERS)  # mostly eligible
NAMINGS = ("own", "own", "alias", "wide")
"""How an actor names itself: its own name; a second name (``alias-N``) from its own git
identity; the full-width spelling of its name from a second machine's git identity."""
PUSHES = ("file", "file", "marker", "shared", "sync", "rm-noxfile", "weak-noxfile",
          "board-link", "restore")
ONLY = (None, None, None, "checks.tests", "board-files")
ACTIONS = ("push",) * 3 + ("advance_main",) * 3 + ("approve",) * 3 + ("merge",) * 3 + (
    "rework", "new_task")
FULL_GATE1 = frozenset({"checks.tests", "gate-files", "coverage", "board-files", "reviewer"})
"""The rules a full gate-1 verdict holds under ``CONFIG`` (the others are disabled)."""
LINK = "coordination/archive/2099-12-31.md"
BOARD = """# 📋 TODO

## 🟢 READY

## 🔨 IN-PROGRESS

## 👀 REVIEW

""" + "".join(f"### #{n} Task {n}\n**Cannot review**: None\n\n" for n in TASKS) + """\
## ✅ RDY FOR PROD

## 🚀 RELEASED
"""
NOXFILE = '''"""The check: fails when a.txt and b.txt meet; logs each tree it judged."""
import pathlib
import subprocess

import nox

LOG = {log!r}


@nox.session(venv_backend="none")
def tests(session):
    """Fail when a.txt and b.txt are both in the tree; log "TREE pass|fail clean|dirty"."""
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True).stdout.strip()
    bad = pathlib.Path("a.txt").exists() and pathlib.Path("b.txt").exists()
    dirty = git("status", "--porcelain", "--untracked-files=no")
    with open(LOG, "a") as log:
        log.write(f"{{git('rev-parse', 'HEAD^{{tree}}')}} {{'fail' if bad else 'pass'}} "
                  f"{{'dirty' if dirty else 'clean'}}\\n")
    if bad:
        session.error("a.txt and b.txt meet")
'''
WEAK_NOXFILE = '''import nox


@nox.session(venv_backend="none")
def tests(session):
    """Always passes."""
'''
CONFIG = (
    'min_coverage = 0\ndisabled_rules = ["file-length", "function-length", "tests-present", '
    '"docstrings"]\n[checks]\nnox_sessions = ["tests"]\nrequired = ["tests"]\n'
    "[claims]\nsettle = [0.0, 0.0]\n"  # no waiting for rival claims: one builder clone
)


def who(name: str) -> dict[str, str]:
    """Git identity environment for commits by ``name``."""
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": f"{name}@example.com",
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": f"{name}@example.com"}


def acting(user: str, email: str) -> dict[str, str]:
    """Environment giving gatebot the git ``user.name`` and ``user.email`` of a machine."""
    return {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.name", "GIT_CONFIG_VALUE_0": user,
            "GIT_CONFIG_KEY_1": "user.email", "GIT_CONFIG_VALUE_1": email}


def wide(name: str) -> str:
    """``name`` in full-width letters (``ｒｅｖ－ａ``): NFKC folds it back to ``name``."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)


def person(git_ident: str) -> str:
    """The person behind a recorded git identity: ``x <P@example.com>`` or ``P.laptop@…``."""
    email = git_ident.rsplit("<", 1)[-1].removesuffix(">")
    return email.removesuffix("@example.com").removesuffix(".laptop")


def note(what: str) -> None:
    """Count ``what`` in hypothesis's statistics (a no-op in the sequences run by hand)."""
    if currently_in_test_context():
        event(what)


def first_parent_chain(origin: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    """``main``'s first-parent chain, oldest first: (SHA, parents, ``Gatebot-*`` trailers)."""
    out = git(origin, "log", "--first-parent", "--format=%H %P%x1f%B%x1e", "main")
    chain = []
    for record in out.split("\x1e"):
        if "\x1f" not in record:
            continue
        head, body = record.strip("\n").split("\x1f", 1)
        sha, *parents = head.split()
        found = {}
        for line in body.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.startswith("Gatebot-"):
                found[key] = value.strip()
        chain.append((sha, parents, found))
    return chain[::-1]


class GateTwo(RuleBasedStateMachine):
    """Random pushes, approvals, main advancing and merges against one bare origin."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="gatebot-stateful-"))
        self.retests = self.tmp / "retests.log"
        self.outside = self.tmp / "outside.txt"
        self.outside.write_text("untouched\n")
        self.noxfile = NOXFILE.format(log=str(self.retests))
        self.repo = make_repo(self.tmp, todo=BOARD)
        self.repo.write(".gatebot.toml", CONFIG)
        self.repo.write("noxfile.py", self.noxfile)
        self.repo.write("shared.txt", "base\n")
        self.repo.commit("the check: a noxfile session that fails when a.txt and b.txt meet")
        self.repo.git("push", "-q", "origin", "main")
        self.clones = {}
        for name in ("builder", "other"):
            path = self.tmp / name
            git(self.tmp, "clone", "-q", str(self.repo.origin), str(path))
            self.clones[name] = path
        self.pushed: set[int] = set()
        self.approvals: dict[tuple[int, str, str], tuple[str, dict]] = {}
        """(task, head, name approved as) → (person, the gate-1 verdict JSON) of each success."""
        self.landed_by: dict[int, list[str]] = {}  # task → people whose merge said "landed"
        self.tip = self.repo.origin_sha()
        self.counter = 0
        for task in TASKS:
            self.push_to(task, BUILDERS[0], "file")

    def teardown(self) -> None:
        """Remove the repositories."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def as_(self, someone: str, naming: str) -> tuple[str, dict[str, str]]:
        """The ``--as`` name and git environment of ``someone`` acting with ``naming``."""
        if naming == "wide":  # a second machine: only the folded name links it to someone
            return wide(someone), acting(f"{someone} (laptop)", f"{someone}.laptop@example.com")
        name = f"alias-{self._next()}" if naming == "alias" else someone
        return name, acting(someone, f"{someone}@example.com")

    # -- the machine's one rule -------------------------------------------------------
    @initialize(data=st.data())
    def first_approval(self, data: st.DataObject) -> None:
        """Start with one gate-1 attempt, so that early steps have something to merge."""
        self.approve(data)

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """One agent's turn, drawn from ``ACTIONS`` (weighted towards the gates).

        One rule with a weighted draw rather than one rule per agent: hypothesis
        enables a random subset of rules per example ("swarm testing"), which at
        a dozen examples too often leaves out ``main`` advancing or a merge.
        """
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        getattr(self, action)(data)

    def push(self, data: st.DataObject) -> None:
        """A builder pushes to a task branch (mostly one under review or approved)."""
        task = self.pick(data, "REVIEW|RDY FOR PROD")
        builder = data.draw(st.sampled_from(BUILDERS), label="builder")
        self.push_to(task, builder, data.draw(st.sampled_from(PUSHES), label="kind"))

    def approve(self, data: st.DataObject) -> None:
        """``gatebot review --approve`` by a random reviewer, naming, and sometimes ``--only``."""
        task = self.pick(data, "REVIEW")
        reviewer = data.draw(st.sampled_from(ACTORS), label="reviewer")
        naming = data.draw(st.sampled_from(NAMINGS), label="naming")
        only = data.draw(st.sampled_from(ONLY), label="only")
        self.approve_as(task, reviewer, naming, only)

    def merge(self, data: st.DataObject) -> None:
        """``gatebot merge`` by a random actor under a random naming, mostly an approved task."""
        task = self.pick(data, "RDY FOR PROD")
        actor = data.draw(st.sampled_from(ACTORS), label="actor")
        naming = data.draw(st.sampled_from(NAMINGS), label="naming")
        self.merge_as(task, actor, naming)

    def advance_main(self, data: st.DataObject) -> None:
        """Another agent lands a linear commit on main: harmless, conflicting or check-breaking."""
        kind = data.draw(st.sampled_from(["file", "marker", "unmark", "shared", "whitespace"]),
                         label="kind")
        self.advance(kind)

    def rework(self, data: st.DataObject) -> None:
        """Send an approved task back to READY, then claim and submit it again (a no-op without one)."""
        if not self.stage("RDY FOR PROD"):
            return
        task = self.pick(data, "RDY FOR PROD")
        reviewer = data.draw(st.sampled_from(ACTORS), label="reviewer")
        builder = data.draw(st.sampled_from(BUILDERS), label="builder")
        self.rework_task(task, reviewer, builder)

    def new_task(self, data: st.DataObject) -> None:
        """When at most one task is left unreleased, add one; a builder claims, pushes, submits."""
        if len(self.stage("RELEASED")) < len(self.stage("##")) - 1:
            return
        self.add_task(data.draw(st.sampled_from(BUILDERS), label="builder"))

    def stage(self, names: str) -> list[int]:
        """The tasks in the sections of TODO.md on origin's main matching ``a|b`` names."""
        section, found = "", []
        for line in self.repo.origin_file("TODO.md").splitlines():
            if line.startswith("## "):
                section = line
            elif line.startswith("### #") and any(n in section for n in names.split("|")):
                found.append(int(line.split()[1].lstrip("#")))
        return found

    def pick(self, data: st.DataObject, name: str) -> int:
        """Mostly a task in section ``name`` (when there is one), else any task on the board."""
        there = self.stage(name)
        if there and data.draw(st.integers(0, 3), label="targeted") > 0:
            return data.draw(st.sampled_from(there), label="task")
        return data.draw(st.sampled_from(sorted(self.stage("##"))), label="task")

    # -- the moves, callable by hand ---------------------------------------------------
    def branch(self, task: int, builder: str) -> Path:
        """Check out ``task/N-work`` in the builder's clone (new off origin/main at first)."""
        b, branch = self.clones["builder"], f"task/{task}-work"
        git(b, "fetch", "-q", "origin")
        start = f"origin/{branch}" if task in self.pushed else "origin/main"
        git(b, "checkout", "-q", "-B", branch, start)
        return b

    def push_to(self, task: int, builder: str, kind: str) -> None:
        """One commit (or a sync with main) pushed to ``task/N-work`` by ``builder``.

        Kinds: a new file; the marker ``a.txt``; an edit of ``shared.txt``; ``sync``
        (merge main in); ``rm-noxfile`` and ``weak-noxfile`` (the adversary's
        weakened checks); ``board-link`` (a symlink under the archive to a file
        outside the repository); ``restore`` (the noxfile and the archive as on
        the merge base again).
        """
        b = self.branch(task, builder)
        n = self._next()
        if kind == "sync":
            git(b, "merge", "-q", "--no-edit", "-X", "theirs", "origin/main", env=who(builder))
            if (b / "a.txt").exists() and (b / "b.txt").exists():
                git(b, "rm", "-q", "a.txt")
        elif kind == "rm-noxfile":
            (b / "noxfile.py").unlink(missing_ok=True)
        elif kind == "weak-noxfile":
            (b / "noxfile.py").write_text(WEAK_NOXFILE)
        elif kind == "board-link":
            (b / LINK).parent.mkdir(parents=True, exist_ok=True)
            (b / LINK).unlink(missing_ok=True)
            (b / LINK).symlink_to(self.outside)
        elif kind == "restore":
            (b / "noxfile.py").write_text(self.noxfile)
            (b / LINK).unlink(missing_ok=True)
        else:
            name, text = {"file": (f"t{task}_{n}.txt", f"{n}\n"), "marker": ("a.txt", f"a{n}\n"),
                          "shared": ("shared.txt", f"task {task} edit {n}\n")}[kind]
            (b / name).write_text(text)
        git(b, "add", "-A")
        if git(b, "status", "--porcelain") or kind != "sync":
            git(b, "commit", "-q", "--allow-empty", "-m", f"task {task}: {kind} {n}",
                env=who(builder))
        git(b, "push", "-q", "origin", f"task/{task}-work")
        self.pushed.add(task)
        note(f"push: {kind}")

    def advance(self, kind: str) -> None:
        """Another agent pushes one linear commit to main (``marker`` adds ``b.txt``)."""
        o, n = self.clones["other"], self._next()
        git(o, "fetch", "-q", "origin")
        git(o, "checkout", "-q", "-B", "main", "origin/main")
        shared = (o / "shared.txt").read_text()
        if kind == "unmark":
            if not (o / "b.txt").exists():
                return
            (o / "b.txt").unlink()
        else:
            name, text = {"file": (f"m{n}.txt", f"{n}\n"), "marker": ("b.txt", f"b{n}\n"),
                          "shared": ("shared.txt", f"main edit {n}\n"),
                          "whitespace": ("shared.txt", shared.rstrip("\n") + "  \n")}[kind]
            (o / name).write_text(text)
        git(o, "add", "-A")
        git(o, "commit", "-q", "-m", f"main: {kind} {n}", env=who("other-agent"))
        git(o, "push", "-q", "origin", "main")

    def approve_as(self, task: int, reviewer: str, naming: str = "own",
                   only: str | None = None) -> int:
        """``review --approve`` on the task branch's head; returns the exit code.

        An approval with ``--only`` must be refused as a usage error: it would
        record a verdict of some rules only.
        """
        branch = f"task/{task}-work"
        self.repo.git("fetch", "-q", "origin")
        self.repo.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        head = self.repo.git("rev-parse", "HEAD")
        name, env = self.as_(reviewer, naming)
        args = ["review", "--approve", "--task", str(task), "--as", name, "--format", "json"]
        result = run_cli(self.repo.path, *args, *(["--only", only] if only else []), env=env)
        assert result.exit_code in (0, 1, 2), result.output
        assert only is None or result.exit_code == 2, f"approved with --only {only}"
        note(f"approve: exit {result.exit_code}{' (--only)' if only else ''}")
        if result.exit_code == 0:
            assert not self._built(reviewer, head, "main"), f"builder {reviewer} approved"
            self.approvals[(task, head, name)] = (reviewer, json.loads(result.stdout))
        return result.exit_code

    def merge_as(self, task: int, actor: str, naming: str = "own") -> str:
        """``gatebot merge --task N``; returns what happened (a key word of its output)."""
        name, env = self.as_(actor, naming)
        result = run_cli(self.repo.path, "merge", "--task", str(task), "--as", name, env=env)
        assert result.exit_code in (0, 1), result.output
        words = ("landed on", "already merged", "ESCALATION", "failed after integration",
                 "gate 1", "builder", "approval", "not RDY FOR PROD")
        said = next((w for w in words if w in result.output), "other")
        note(f"merge: {said}")
        if result.exit_code == 0 and "landed on" in result.output:
            self.landed_by.setdefault(task, []).append(actor)
        return said

    def rework_task(self, task: int, reviewer: str, builder: str) -> None:
        """``review --reject`` (→ READY), then the builder claims and submits it again."""
        branch = f"task/{task}-work"
        self.repo.git("fetch", "-q", "origin")
        self.repo.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        rejected = run_cli(self.repo.path, "review", "--reject", "rework", "--task", str(task),
                           "--as", reviewer, "--only", "board-files")
        assert rejected.exit_code in (0, 1), rejected.output
        for args in (("claim", str(task)), ("submit", str(task), "--branch", branch)):
            result = run_cli(self.clones["builder"], *args, "--as", builder)
            assert result.exit_code in (0, 1), result.output

    def add_task(self, builder: str) -> int:
        """``task add``; the builder claims it, pushes a file and submits it."""
        added = run_cli(self.repo.path, "task", "add", "Another task", "--as", "planner")
        assert added.exit_code == 0, added.output
        task = int(added.stdout.split()[0])
        claimed = run_cli(self.clones["builder"], "claim", str(task), "--as", builder)
        assert claimed.exit_code == 0, claimed.output
        self.push_to(task, builder, "file")
        done = run_cli(self.clones["builder"], "submit", str(task), "--branch",
                       f"task/{task}-work", "--as", builder)
        assert done.exit_code == 0, done.output
        return task

    # -- invariants ---------------------------------------------------------------------
    def _built(self, name: str, head: str, base_ref: str) -> bool:
        """Whether ``name`` authored or committed a commit of ``merge-base(base_ref, head)..head``."""
        base = git(self.repo.origin, "merge-base", head, base_ref)
        people = git(self.repo.origin, "log", "--format=%an%n%ae%n%cn%n%ce", f"{base}..{head}")
        return name.lower() in {p.lower().removesuffix("@example.com") for p in people.split()}

    def _retested(self, tree: str) -> bool:
        """Whether the noxfile logged a passing run on exactly ``tree``, files as committed."""
        lines = self.retests.read_text().splitlines() if self.retests.exists() else []
        return f"{tree} pass clean" in lines

    def _full_approval(self, task: int, head: str, name: str) -> str:
        """The person behind a full, passing gate-1 approval of ``head`` as ``name`` (or fail)."""
        found = self.approvals.get((task, head, name))
        assert found is not None, f"no approval of {head} by {name} was made"
        reviewer, verdict = found
        ids = {r["id"] for r in verdict["rules"]}
        assert verdict["verdict"] == "pass", verdict
        assert verdict["head"] == head, verdict
        assert ids >= FULL_GATE1, f"a partial gate-1 verdict: {sorted(ids)}"
        return reviewer

    @invariant()
    def main_only_moves_forward(self) -> None:
        """The old tip is an ancestor of the new one: never a force push."""
        tip = self.repo.origin_sha()
        ok = subprocess.run(["git", "merge-base", "--is-ancestor", self.tip, tip],
                            cwd=self.repo.origin, check=False).returncode == 0
        assert ok, f"main moved from {self.tip} to {tip} by force"
        self.tip = tip

    @invariant()
    def main_keeps_its_gates_and_no_link(self) -> None:
        """main's noxfile is the one written at the start; no symlink; nothing written outside."""
        assert self.repo.origin_file("noxfile.py") == self.noxfile.rstrip("\n")
        tree = git(self.repo.origin, "ls-tree", "-r", "main")
        assert not [line for line in tree.splitlines() if line.startswith("120000")], tree
        assert self.outside.read_text() == "untouched\n"

    @invariant()
    def only_approved_tested_heads_land_once(self) -> None:
        """Every two-parent commit on main is one task's release of a fully approved, re-tested head."""
        origin = self.repo.origin
        released: dict[int, str] = {}
        for sha, parents, info in first_parent_chain(origin):
            if len(parents) < 2:
                continue
            task = int(info.get("Gatebot-Task", "#0").lstrip("#"))
            head, base = parents[1], parents[0]
            assert info.get("Gatebot-Event") == "released", f"{sha} is a merge but no release"
            assert info.get("Gatebot-Head") == head
            assert task not in released, f"task #{task} released twice: {released.get(task)}, {sha}"
            released[task] = sha
            first, name = info["Gatebot-Reviewed-by"].split(", ")
            assert name == info.get("Gatebot-Actor")
            reviewer = self._full_approval(task, head, first)
            assert person(info["Gatebot-Reviewer-Git"]) == reviewer
            actor = person(info["Gatebot-Actor-Git"])  # the person, whatever name they used
            assert reviewer != actor, f"{sha}: {actor} passed both gates (as {first}, {name})"
            for someone in (reviewer, actor):
                assert not self._built(someone, head, base), f"{sha}: {someone} built {head}"
            assert actor in self.landed_by.get(task, []), f"{sha}: no merge by {actor} landed"
            tree = git(origin, "rev-parse", f"{sha}^{{tree}}")
            assert self._retested(tree), f"release {sha} of task #{task}: its tree was not re-tested"
            files = git(origin, "ls-tree", "--name-only", sha).split()
            assert not {"a.txt", "b.txt"} <= set(files), f"release {sha} fails the check"
        assert set(self.stage("RELEASED")) == set(released)
        assert all(len(actors) == 1 for actors in self.landed_by.values()), self.landed_by

    def check(self) -> None:
        """Every invariant, as hypothesis checks them after each step."""
        self.main_only_moves_forward()
        self.main_keeps_its_gates_and_no_link()
        self.only_approved_tested_heads_land_once()


GateTwo.TestCase.settings = settings(
    max_examples=12, stateful_step_count=30, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    # Each step runs real git, nox and gatebot (~0.2-1.5 s): shrinking a failure would take
    # many minutes, so a failure is reported as found, with its whole sequence of steps.
    phases=(Phase.explicit, Phase.generate),
)
TestGateTwo = GateTwo.TestCase


# -- the sequences that must always be caught, by hand ---------------------------------------
def machine() -> GateTwo:
    """A fresh machine (its ``__init__`` pushes one commit to each task's branch)."""
    return GateTwo()


def test_a_release_is_re_tested_on_main_and_refused_when_it_fails() -> None:
    """Approved alone, the task's marker passes; with main's marker the release tree fails."""
    m = machine()
    try:
        m.push_to(1, "builder-one", "marker")
        assert m.approve_as(1, "rev-a") == 0
        m.advance("marker")
        assert m.merge_as(1, "rev-b") == "failed after integration"
        m.check()
        m.advance("unmark")
        m.rework_task(1, "rev-c", "builder-one")
        assert m.approve_as(1, "rev-c") == 0
        assert m.merge_as(1, "rev-a") == "landed on"
        m.check()
    finally:
        m.teardown()


def test_the_gate1_reviewer_never_merges_under_any_name() -> None:
    m = machine()
    try:
        assert m.approve_as(2, "rev-a") == 0
        for naming in ("own", "alias", "wide"):
            assert m.merge_as(2, "rev-a", naming) != "landed on", naming
        assert m.merge_as(2, "builder-one", "wide") != "landed on"
        m.check()
        assert m.merge_as(2, "rev-b", "wide") == "landed on"
        m.check()
    finally:
        m.teardown()


def test_partial_approvals_and_builders_under_other_names_are_refused() -> None:
    m = machine()
    try:
        assert m.approve_as(1, "rev-a", only="checks.tests") == 2
        assert m.approve_as(1, "rev-a", only="board-files") == 2
        assert m.approve_as(1, "builder-one", "wide") == 1
        assert m.approve_as(1, "builder-one", "alias") == 1
        m.check()
    finally:
        m.teardown()


def test_a_weakened_noxfile_or_a_board_link_never_lands() -> None:
    m = machine()
    try:
        for kind in ("rm-noxfile", "weak-noxfile", "board-link"):
            m.push_to(1, "builder-two", kind)
            assert m.approve_as(1, "rev-a") == 1, kind
            m.push_to(1, "builder-two", "restore")
        assert m.approve_as(1, "rev-a") == 0
        m.push_to(1, "builder-two", "board-link")  # a push after the approval voids it
        assert m.merge_as(1, "rev-b") != "landed on"
        m.check()
    finally:
        m.teardown()
