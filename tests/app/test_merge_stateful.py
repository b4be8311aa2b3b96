"""Gate 2 under random interleavings (SPEC §3, §5.3): a hypothesis state machine on real git.

Agents act on one bare ``origin``: builders push to task branches (and sometimes
bring ``main`` into them), reviewers approve at gate 1 (some are builders, so
ineligible), another agent advances ``main`` (sometimes conflicting, sometimes
adding a marker file that makes the configured check fail next to the task's
marker), and random actors run ``gatebot merge`` (sometimes under a second name, from
their own git identity: every person has one); a task whose approval a push
voided is rejected, claimed and submitted again, and new tasks are added as
others are released. After every step the invariants of SPEC §5.3 are read
back from ``origin``:

- ``main`` only moves forward (the old tip is an ancestor of the new one);
- every commit with a second parent on ``main``'s first-parent chain is a
  release commit whose second parent is a head approved at gate 1 (an
  ``approved`` board commit with that ``Gatebot-Head`` earlier on ``main``,
  made by a ``review --approve`` this test saw succeed) by a reviewer who is
  neither the gate-2 actor (as a person, by the recorded git identity, under
  whatever name they acted) nor a builder of that head;
- every release commit's tree passes the check, run on a checkout of it;
- at most one release commit per task, and the RELEASED section of TODO.md
  holds exactly the tasks that have one.

Mutating gatebot's merge (dropping the reviewer rule, the head-binding of the
approval, or the re-test verdict) makes this test fail (checked by hand on
copies of ``gatebot/app/merge.py``; the re-test one about every other run).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from tests.repos import git, make_repo, run_cli

TASKS = (1, 2)
BUILDERS = ("builder-one", "builder-two")
PEOPLE = ("rev-a", "rev-b", "rev-c", *BUILDERS)
ACTORS = ("rev-a", "rev-b", "rev-c", "rev-a", "rev-b", "rev-c", *BUILDERS)  # mostly eligible
ACTIONS = ("push_or_sync",) * 3 + ("advance_main",) * 3 + ("approve",) * 3 + ("merge",) * 3 + (
    "rework", "new_task")
BOARD = """# 📋 TODO

## 🟢 READY

## 🔨 IN-PROGRESS

## 👀 REVIEW

""" + "".join(f"### #{n} Task {n}\n**Cannot review**: None\n\n" for n in TASKS) + """\
## ✅ RDY FOR PROD

## 🚀 RELEASED
"""
CHECK = """import pathlib, sys
sys.exit(1 if pathlib.Path('a.txt').exists() and pathlib.Path('b.txt').exists() else 0)
"""
CONFIG = (
    'min_coverage = 0\ndisabled_rules = ["file-length", "function-length", "tests-present", '
    '"docstrings"]\n[checks]\nnox_sessions = []\nrequired = ["tests"]\n'
    f'commands = {{ tests = ["{sys.executable}", "check.py"] }}\n'
    "[claims]\nsettle = [0.0, 0.0]\n"  # no waiting for rival claims: one builder clone
)


def who(name: str) -> dict[str, str]:
    """Git identity environment for ``name``."""
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": f"{name}@example.com",
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": f"{name}@example.com"}


def acting(name: str) -> dict[str, str]:
    """Environment giving gatebot ``name``'s git ``user.name``/``user.email``.

    Every person has an identity of their own (SPEC §3: gatebot matches the
    repository's git identity as well as ``--as``), as separate machines would.
    """
    return {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.name", "GIT_CONFIG_VALUE_0": name,
            "GIT_CONFIG_KEY_1": "user.email", "GIT_CONFIG_VALUE_1": f"{name}@example.com"}


def person(git_ident: str) -> str:
    """The person behind a recorded ``Name <name@example.com>`` git identity."""
    return git_ident.rsplit("<", 1)[-1].removesuffix(">").removesuffix("@example.com")


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
        self.repo = make_repo(self.tmp, todo=BOARD)
        self.repo.write(".gatebot.toml", CONFIG)
        self.repo.write("check.py", CHECK)
        self.repo.write("shared.txt", "base\n")
        self.repo.commit("a check that fails when a.txt and b.txt meet")
        self.repo.git("push", "-q", "origin", "main")
        self.clones = {}
        for name in ("builder", "other"):
            path = self.tmp / name
            git(self.tmp, "clone", "-q", str(self.repo.origin), str(path))
            self.clones[name] = path
        self.pushed: set[int] = set()
        self.approvals: set[tuple[int, str, str]] = set()  # (task, head, reviewer) that succeeded
        self.landed_by: dict[int, list[str]] = {}  # task → actors whose merge said "landed"
        self.tip = self.repo.origin_sha()
        self.checked: dict[str, bool] = {}
        self.counter = 0
        for task in TASKS:
            self.push(task, BUILDERS[0], "file")

    def teardown(self) -> None:
        """Remove the repositories."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    # -- agents ---------------------------------------------------------------
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

    def push_or_sync(self, data: st.DataObject) -> None:
        """A builder pushes to a task branch (mostly one under review or approved), or syncs."""
        task = self.pick(data, "REVIEW|RDY FOR PROD")
        builder = data.draw(st.sampled_from(BUILDERS), label="builder")
        kind = data.draw(st.sampled_from(["file", "marker", "shared", "sync"]), label="kind")
        if kind == "sync":
            self.sync(task, builder)
        else:
            self.push(task, builder, kind)

    def push(self, task: int, builder: str, kind: str) -> None:
        """A builder pushes one commit to ``task/N-work`` (created off origin/main)."""
        b, branch, n = self.clones["builder"], f"task/{task}-work", self._next()
        git(b, "fetch", "-q", "origin")
        start = f"origin/{branch}" if task in self.pushed else "origin/main"  # first push: new
        git(b, "checkout", "-q", "-B", branch, start)
        name, text = {"file": (f"t{task}_{n}.txt", f"{n}\n"), "marker": ("a.txt", f"a{n}\n"),
                      "shared": ("shared.txt", f"task {task} edit {n}\n")}[kind]
        (b / name).write_text(text)
        git(b, "add", "-A")
        git(b, "commit", "-q", "-m", f"task {task}: {kind} {n}", env=who(builder))
        git(b, "push", "-q", "origin", branch)
        self.pushed.add(task)

    def sync(self, task: int, builder: str) -> None:
        """A builder merges origin/main into a task branch (main wins), dropping a.txt if b.txt came."""
        b, branch = self.clones["builder"], f"task/{task}-work"
        git(b, "fetch", "-q", "origin")
        git(b, "checkout", "-q", "-B", branch, f"origin/{branch}")
        git(b, "merge", "-q", "--no-edit", "-X", "theirs", "origin/main", env=who(builder))
        if (b / "a.txt").exists() and (b / "b.txt").exists():
            git(b, "rm", "-q", "a.txt")
            git(b, "commit", "-q", "-m", "drop a.txt", env=who(builder))
        git(b, "push", "-q", "origin", branch)

    def advance_main(self, data: st.DataObject) -> None:
        """Another agent lands a linear commit on main: harmless, conflicting or check-breaking."""
        kind = data.draw(st.sampled_from(["file", "marker", "unmark", "shared", "whitespace"]),
                         label="kind")
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

    def new_task(self, data: st.DataObject) -> None:
        """When at most one task is left unreleased, add one; a builder claims, pushes, submits."""
        if len(self.stage("RELEASED")) < len(self.stage("##")) - 1:
            return
        builder = data.draw(st.sampled_from(BUILDERS), label="builder")
        added = run_cli(self.repo.path, "task", "add", "Another task", "--as", "planner")
        assert added.exit_code == 0, added.output
        task = int(added.stdout.split()[0])
        claimed = run_cli(self.clones["builder"], "claim", str(task), "--as", builder)
        assert claimed.exit_code == 0, claimed.output
        self.push(task, builder, "file")
        done = run_cli(self.clones["builder"], "submit", str(task), "--branch",
                       f"task/{task}-work", "--as", builder)
        assert done.exit_code == 0, done.output

    def approve(self, data: st.DataObject) -> None:
        """``gatebot review --approve`` on a task branch's head by a random reviewer."""
        task = self.pick(data, "REVIEW")
        reviewer = data.draw(st.sampled_from(ACTORS), label="reviewer")
        branch = f"task/{task}-work"
        self.repo.git("fetch", "-q", "origin")
        self.repo.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        head = self.repo.git("rev-parse", "HEAD")
        result = run_cli(self.repo.path, "review", "--approve", "--task", str(task),
                         "--as", reviewer, env=acting(reviewer))
        assert result.exit_code in (0, 1), result.output
        event(f"approve: exit {result.exit_code}")
        if result.exit_code == 0:
            assert not self._built(reviewer, head, "main"), f"builder {reviewer} approved"
            self.approvals.add((task, head, reviewer))

    def rework(self, data: st.DataObject) -> None:
        """Send an approved task back to READY (``review --reject``), then claim and submit it.

        The way out for a task whose approval a later push voided (SPEC §2, §3); a
        no-op when no task is in RDY FOR PROD.
        """
        if not self.stage("RDY FOR PROD"):
            return
        task = self.pick(data, "RDY FOR PROD")
        reviewer = data.draw(st.sampled_from(ACTORS), label="reviewer")
        builder = data.draw(st.sampled_from(BUILDERS), label="builder")
        branch = f"task/{task}-work"
        self.repo.git("fetch", "-q", "origin")
        self.repo.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        rejected = run_cli(self.repo.path, "review", "--reject", "rework", "--task", str(task),
                           "--as", reviewer, "--only", "board-files")
        assert rejected.exit_code in (0, 1), rejected.output
        for args in (("claim", str(task)), ("submit", str(task), "--branch", branch)):
            result = run_cli(self.clones["builder"], *args, "--as", builder)
            assert result.exit_code in (0, 1), result.output

    def merge(self, data: st.DataObject) -> None:
        """``gatebot merge --task N`` by a random actor, mostly on an approved task.

        The adversary's move: sometimes the actor acts under a second name
        (``--as alias-…``) from their own git identity.
        """
        task = self.pick(data, "RDY FOR PROD")
        actor = data.draw(st.sampled_from(ACTORS), label="actor")
        alias = data.draw(st.integers(0, 2), label="alias") == 0
        name = f"alias-{self._next()}" if alias else actor
        result = run_cli(self.repo.path, "merge", "--task", str(task), "--as", name,
                         env=acting(actor))
        assert result.exit_code in (0, 1), result.output
        words = ("landed on", "already merged", "ESCALATION", "failed after integration",
                 "gate 1", "builder", "approval", "not RDY FOR PROD")
        event("merge: " + next((w for w in words if w in result.output), "other"))
        if result.exit_code == 0 and "landed on" in result.output:
            self.landed_by.setdefault(task, []).append(actor)

    # -- invariants -----------------------------------------------------------
    def _built(self, name: str, head: str, base_ref: str) -> bool:
        """Whether ``name`` authored or committed a commit of ``merge-base(base_ref, head)..head``."""
        base = git(self.repo.origin, "merge-base", head, base_ref)
        people = git(self.repo.origin, "log", "--format=%an%n%ae%n%cn%n%ce", f"{base}..{head}")
        return name.lower() in {p.lower().removesuffix("@example.com") for p in people.split()}

    def _passes_check(self, sha: str) -> bool:
        tree = git(self.repo.origin, "rev-parse", f"{sha}^{{tree}}")
        if tree not in self.checked:
            where = Path(tempfile.mkdtemp(dir=self.tmp))
            data = subprocess.run(["git", "archive", sha], cwd=self.repo.origin,
                                  capture_output=True, check=True).stdout
            (where / "tree.tar").write_bytes(data)
            with tarfile.open(where / "tree.tar") as tar:
                tar.extractall(where / "tree", filter="data")
            run = subprocess.run([sys.executable, "check.py"], cwd=where / "tree", check=False)
            self.checked[tree] = run.returncode == 0
        return self.checked[tree]

    @invariant()
    def main_only_moves_forward(self) -> None:
        """The old tip is an ancestor of the new one: never a force push."""
        tip = self.repo.origin_sha()
        ok = subprocess.run(["git", "merge-base", "--is-ancestor", self.tip, tip],
                            cwd=self.repo.origin, check=False).returncode == 0
        assert ok, f"main moved from {self.tip} to {tip} by force"
        self.tip = tip

    @invariant()
    def only_approved_tested_heads_land_once(self) -> None:
        """Every two-parent commit on main is one task's release of an eligibly approved head."""
        origin = self.repo.origin
        released: dict[int, str] = {}
        approved: dict[str, set[str]] = {}  # head → gate-1 reviewers, oldest first
        for sha, parents, info in first_parent_chain(origin):
            if info.get("Gatebot-Event") == "approved":
                approved.setdefault(info["Gatebot-Head"], set()).add(info["Gatebot-Actor"])
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
            assert first in approved.get(head, set()), f"{sha}: {first} never approved {head}"
            assert (task, head, first) in self.approvals, f"{sha}: no such approval was made"
            assert person(info["Gatebot-Reviewer-Git"]) == first
            actor = person(info["Gatebot-Actor-Git"])  # the person, whatever name they used
            assert first != actor, f"{sha}: {actor} passed both gates (as {name})"
            for who_ in (first, actor):
                assert not self._built(who_, head, base), f"{sha}: {who_} built {head}"
            assert actor in self.landed_by.get(task, []), f"{sha}: no merge by {actor} landed"
            assert self._passes_check(sha), f"release {sha} of task #{task} fails the check"
        assert set(self.stage("RELEASED")) == set(released)
        assert all(len(actors) == 1 for actors in self.landed_by.values()), self.landed_by


GateTwo.TestCase.settings = settings(
    max_examples=10, stateful_step_count=30, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    # Each step runs real git and gatebot (~0.1-0.7 s): shrinking a failure would take many
    # minutes, so a failure is reported as found, with its whole sequence of steps.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
TestGateTwo = GateTwo.TestCase
