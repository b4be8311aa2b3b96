"""The soak driver of "Claims that hold under load": real agents racing over one bare origin.

``run_soak(root, SoakConfig(...))`` builds a bare ``origin`` with a board of T
tasks (added through ``gatebot task add``), clones it once per agent, starts N
agents as real OS processes (``python -m tests.soak agent SPEC.json``), waits
for them, and checks the invariants of the issue on what they left behind:

1. no task is ever held by two (``check_board_history``, ``check_claims``);
2. no board edit is lost (``check_claims``: every board commit an agent was told
   about is on ``main``; the archive has one entry per event);
3. every release was approved by two distinct eligible reviewers (``check_releases``);
4. ``main``'s tree always passed its checks (``check_trees``);
5. ``gatebot status --format json`` tells the truth at the end (``check_status``).

Each agent (``Agent``) loops on seeded random choices: claim a READY task
(losing a race is fine), heartbeat, build on ``task/N-…`` (a work file and a
test, committed as itself; sometimes deliberately broken for gate 1, or
poisoned so that only the integration with ``main`` fails, for gate 2), give a
task back, submit, review someone else's REVIEW task, merge someone else's RDY
FOR PROD task, and probe the refusals: approving its own task, merging one it
built or approved, claiming a held task. Every gatebot call is one JSON line in
``logs/<agent>.jsonl``. Nothing here mocks gatebot: only its CLI is used.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatebot.config import BoardConfig
from gatebot.core.rules.board_files import owned

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("READY", "IN-PROGRESS", "REVIEW", "RDY FOR PROD", "RELEASED")
BOARD = "# TODO\n\n" + "".join(f"## {s}\n\n" for s in STAGES)
LEAD = "soak-lead"
LANDER = "goldenfocus-lander"
GIT_QUIET = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "NO_COLOR": "1"}
CHECK = '''\
"""Soak check: every work/*.txt is well formed and conflicts with no other work file."""
import sys
from pathlib import Path

names = {p.stem for p in Path("work").glob("*.txt")}
bad = []
for path in sorted(Path("work").glob("*.txt")):
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != f"name: {path.stem}" or lines[-1] != "end":
        bad.append(f"{path}: must start with 'name: {path.stem}' and end with 'end'")
    for line in lines[1:-1]:
        key, _, value = line.partition(": ")
        if key == "conflicts-with" and value in names:
            bad.append(f"{path}: conflicts with work/{value}.txt")
        elif key not in ("line", "conflicts-with"):
            bad.append(f"{path}: unknown line {line!r}")
print("\\n".join(bad) or "all work files well formed")
sys.exit(1 if bad else 0)
'''
SHA_SAID = re.compile(r"board commit ([0-9a-f]{7,40})|landed on \S+ as ([0-9a-f]{7,40})")


@dataclass(frozen=True)
class SoakConfig:
    """One soak run: ``agents`` processes over ``tasks`` tasks, seeded by ``seed``.

    ``budget_s`` (wall seconds) and ``max_steps`` (per agent) stop a run that
    does not finish; ``broken`` and ``poisoned`` are the chances that a build
    fails gate 1 or only gate 2; ``give_up`` the chance per step that a holder
    hands its task back. Every agent has its own clone and shares nothing
    with the others but the origin: claims race on the claim refs of the
    origin first and on the board second. ``first_builds`` forces the first
    build of the first agents (e.g. ``("broken", "poisoned")``). ``land`` is how approved
    tasks land: ``serial`` (an agent runs ``gatebot merge --task N`` on a task it may review)
    or ``queue`` (agents never merge; one more process, ``LANDER``, runs ``gatebot queue run``
    whenever a task waits in RDY FOR PROD: tests/soak_lander.py).
    """

    agents: int = 4
    tasks: int = 6
    seed: int = 1
    budget_s: float = 600.0
    max_steps: int = 2000
    broken: float = 0.12
    poisoned: float = 0.08
    give_up: float = 0.02
    first_builds: tuple[str, ...] = ("broken", "poisoned")
    land: str = "serial"

    @property
    def processes(self) -> int:
        """How many processes run: the agents, and the lander in ``queue`` mode."""
        return self.agents + (self.land == "queue")


def agent_name(index: int) -> str:
    """The session name of agent ``index`` (``goldenfocus-agent-07``)."""
    return f"goldenfocus-agent-{index:02d}"


def process_name(cfg: SoakConfig, index: int) -> str:
    """The session name of process ``index``: an agent's, or ``LANDER`` past the agents."""
    return agent_name(index) if index < cfg.agents else LANDER


def git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
        stdin: str | None = None) -> str:
    """Run git in ``cwd``; return stdout stripped (raises ``CalledProcessError`` when ``check``)."""
    full = {**os.environ, **GIT_QUIET, **(env or {})}
    return subprocess.run(["git", *args], cwd=cwd, env=full, check=check, text=True,
                          capture_output=True, input=stdin).stdout.strip()


def identity(name: str) -> dict[str, str]:
    """Git author and committer environment for ``name``."""
    email = f"{name}@soak.invalid"
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}


def gatebot(cwd: Path, *args: str, name: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gatebot ARGS`` as a real process acting (and committing) as ``name``."""
    env = {**os.environ, **GIT_QUIET, **identity(name)}
    try:
        return subprocess.run([sys.executable, "-m", "gatebot", *args], cwd=cwd, env=env,
                              text=True, capture_output=True, check=False, timeout=300)
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(exc.cmd, -9, str(exc.stdout or ""), "timed out")


# -- the board, read independently of gatebot -----------------------------------------
@dataclass(frozen=True)
class BoardTask:
    """A task as TODO.md shows it: number, title, stage (section) and fields."""

    number: int
    title: str
    stage: str
    fields: dict[str, str]

    def names(self, name: str) -> list[str]:
        """A comma-separated field as a list of names (``None``/empty values dropped)."""
        value = self.fields.get(name, "")
        parts = [p.strip().removesuffix("✅").strip() for p in value.split(",")]
        return [p for p in parts if p and p.casefold() not in ("none", "none yet", "-")]


def parse_board(text: str) -> list[BoardTask]:
    """Every ``### #N Title`` task of ``text`` in order (duplicates kept, for the checker)."""
    tasks: list[BoardTask] = []
    stage, current = "", None
    for line in text.splitlines():
        if line.startswith("## "):
            words = " ".join(re.sub(r"[^A-Z ]", " ", line[3:].upper()).split())
            stage = {"IN PROGRESS": "IN-PROGRESS", "READY FOR PROD": "RDY FOR PROD"}.get(
                words, words)
            current = None
        elif m := re.match(r"^### #(\d+) (.*)$", line):
            current = BoardTask(int(m.group(1)), m.group(2), stage, {})
            tasks.append(current)
        elif line.startswith("#"):
            current = None
        elif current and (m := re.match(r"^\*\*([^*]+)\*\*: ?(.*)$", line)):
            current.fields.setdefault(m.group(1), m.group(2).strip())
    return tasks


# -- setting up -------------------------------------------------------------------------
@dataclass(frozen=True)
class Soak:
    """A prepared run: the bare ``origin``, the clones under ``agents_dir``, ``logs``, ``c0``."""

    root: Path
    origin: Path
    agents_dir: Path
    logs: Path
    c0: str

    def clone(self, name: str) -> Path:
        """The work tree of ``name``: its own clone of ``origin``."""
        return self.agents_dir / name


def config_text(cfg: SoakConfig) -> str:
    """``.gatebot.toml`` for the soak: the work-file check, no coverage, instant settle."""
    return (f"min_coverage = 0\n[checks]\nnox_sessions = []\ntimeout = 120\n"
            "required = ['wellformed']\n"
            f"commands = {{ wellformed = {json.dumps([sys.executable, 'tools/check_work.py'])} }}"
            f"\n[claims]\nsettle = [0, 0]\nmaintainers = ['{LEAD}']\n")


def setup(root: Path, cfg: SoakConfig) -> Soak:
    """Create origin: C0 (config, check, empty board), C1 (``work/seed.txt``), T tasks."""
    origin, agents = root / "origin.git", root / "agents"
    git(root, "init", "-q", "--bare", "-b", "main", str(origin))
    lead = agents / LEAD
    git(root, "clone", "-q", str(origin), str(lead))
    git(lead, "checkout", "-q", "-b", "main")
    files = {".gatebot.toml": config_text(cfg), "tools/check_work.py": CHECK, "TODO.md": BOARD,
             ".gitignore": "__pycache__/\n"}
    for rel, text in files.items():
        (lead / rel).parent.mkdir(parents=True, exist_ok=True)
        (lead / rel).write_text(text, encoding="utf-8")
    git(lead, "add", "-A")
    git(lead, "commit", "-q", "-m", "soak: config, check and board", env=identity(LEAD))
    c0 = git(lead, "rev-parse", "HEAD")
    (lead / "work").mkdir()
    (lead / "work/seed.txt").write_text("name: seed\nline: 1\nend\n", encoding="utf-8")
    git(lead, "add", "-A")
    git(lead, "commit", "-q", "-m", "soak: the seed work file", env=identity(LEAD))
    git(lead, "push", "-q", "origin", "main")
    for n in range(1, cfg.tasks + 1):
        done = gatebot(lead, "task", "add", f"Soak task {n}", "--files", f"work/task-{n}.txt",
                       "--as", LEAD, name=LEAD)
        if done.returncode != 0 or done.stdout.strip() != str(n):
            raise RuntimeError(f"task add {n} failed: {done.stdout}{done.stderr}")
    for i in range(cfg.processes):
        git(root, "clone", "-q", str(origin), str(agents / process_name(cfg, i)))
    logs = root / "logs"
    logs.mkdir()
    return Soak(root, origin, agents, logs, c0)


# -- the agent --------------------------------------------------------------------------
@dataclass
class Build:
    """A build of a task by this agent: its branch, head SHA and mode (good/broken/poisoned)."""

    branch: str
    head: str
    mode: str


class Agent:
    """One agent process: a clone, a name, a seeded random source and a JSON-lines log."""

    def __init__(self, spec: dict[str, Any]) -> None:
        """Read the spec written by ``run_soak`` (paths, name, seed, budget, chances)."""
        self.spec = spec
        self.name: str = spec["name"]
        self.index: int = spec["index"]
        self.path = Path(spec["clone"])
        self.rng = random.Random(spec["seed"])
        self.deadline = spec["deadline"]
        self.log = Path(spec["log"])
        self.builds: dict[int, Build] = {}
        self.attempts: Counter[int] = Counter()
        self.past: set[int] = set()
        self.probed: Counter[str] = Counter()
        self.ineligible: set[tuple[str, int, str]] = set()
        self.step = 0
        git(self.path, "config", "user.name", self.name)
        git(self.path, "config", "user.email", f"{self.name}@soak.invalid")

    def call(self, op: str, task: int | None, *args: str, **extra: Any
             ) -> subprocess.CompletedProcess[str]:
        """Run one gatebot command and log it (op, task, rc, stdout, stderr, times)."""
        t0 = time.time()
        done = gatebot(self.path, *args, name=self.name)
        self.note(op, task, argv=list(args), rc=done.returncode, out=done.stdout[-4000:],
                  err=done.stderr[-4000:], t0=t0, t1=time.time(), **extra)
        return done

    def note(self, op: str, task: int | None, **extra: Any) -> None:
        """Append one JSON line to the log: a call, or an event such as a build or a stop."""
        record = {"agent": self.name, "step": self.step, "op": op, "task": task,
                  "t0": time.time(), **extra}
        with self.log.open("a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")

    def board(self) -> list[BoardTask]:
        """Fetch origin and parse ``origin/main:TODO.md``."""
        git(self.path, "fetch", "-q", "--prune", "origin")
        return parse_board(git(self.path, "show", "origin/main:TODO.md"))

    def run(self) -> None:
        """Loop until every task is RELEASED, the budget is spent or ``max_steps`` is reached."""
        reason = "max-steps"
        while self.step < self.spec["max_steps"]:
            if time.time() > self.deadline:
                reason = "budget"
                break
            tasks = self.board()
            if tasks and all(t.stage == "RELEASED" for t in tasks):
                reason = "all-released"
                break
            self.step += 1
            if not self.act(tasks):
                time.sleep(self.rng.uniform(0.2, 0.6))
        self.note("stop", None, reason=reason)

    def options(self, tasks: Sequence[BoardTask]) -> list[tuple[float, Any, BoardTask | None]]:
        """The weighted actions open to this agent on this board."""
        me = self.name.casefold()
        mine = [t for t in tasks if t.stage == "IN-PROGRESS"
                and me in [a.casefold() for a in t.names("Assignee")]]
        opts: list[tuple[float, Any, BoardTask | None]] = []
        for t in mine:
            build = self.builds.get(t.number)
            opts.append((6.0, self.submit if build else self.work, t))
            opts.append((1.5, self.heartbeat, t))
            opts.append((self.spec["give_up"] * 20, self.give_back, t))
        # A task given back or rejected waits for its builder: a third claimant would
        # leave too few eligible reviewers (SPEC §3 counts every claimant as a builder).
        ready = sorted((t for t in tasks if t.stage == "READY"
                        and set(t.names("Built by")) <= {self.name}),
                       key=lambda t: (t.number not in self.past, t.number))
        if not mine and ready:
            opts.append((5.0, self.claim, self.rng.choice(ready[:3])))
        held = [t for t in tasks if t.stage == "IN-PROGRESS" and t not in mine]
        if held and not self.probed["claim-held"]:
            opts.append((0.5, self.claim_held, self.rng.choice(held)))
        for t in tasks:
            if (t.stage, t.number, t.fields.get("Branch", "")) in self.ineligible:
                continue
            built = t.number in self.past or me in [n.casefold() for n in t.names("Built by")]
            approved = me in [n.casefold() for n in
                              t.names("Cannot review") + t.names("Reviewed by (REVIEW)")]
            probe = 0.3 if self.probed["review-own"] + self.probed["merge-ineligible"] < 3 else 0
            if t.stage == "REVIEW":  # only a builder must be refused: a gate-1 reviewer whose
                # approval an escalation voided may approve the same head again
                opts.append((probe, self.review_own, t) if built else (4.0, self.review, t))
            elif t.stage == "RDY FOR PROD":  # in queue mode only the lander lands
                opts.append((probe, self.merge_ineligible, t) if built or approved else
                            (5.0 * (self.spec.get("land") != "queue"), self.merge, t))
        opts.append((0.1, self.sweep, None))
        return [o for o in opts if o[0] > 0]

    def act(self, tasks: Sequence[BoardTask]) -> bool:
        """Pick one action by weight and do it; False when there was nothing but a sweep to do."""
        opts = self.options(tasks)
        if all(o[1] == self.sweep for o in opts):
            return False
        _, action, task = self.rng.choices(opts, weights=[o[0] for o in opts])[0]
        action(task)
        return True

    # -- the actions ---------------------------------------------------------------
    def claim(self, task: BoardTask) -> None:
        """``gatebot claim N``: exit 0 wins, exit 1 lost the race (logged either way)."""
        done = self.call("claim", task.number, "claim", str(task.number), "--as", self.name)
        if done.returncode == 0:
            self.past.add(task.number)
            self.builds.pop(task.number, None)

    def claim_held(self, task: BoardTask) -> None:
        """Probe: claiming a task someone else holds must be refused."""
        self.probed["claim-held"] += 1
        done = self.call("claim", task.number, "claim", str(task.number), "--as", self.name,
                         expect="refused", probe="claim-held")
        if done.returncode == 0:  # its holder gave it back meanwhile: check_claims judges
            self.past.add(task.number)
            self.builds.pop(task.number, None)

    def heartbeat(self, task: BoardTask) -> None:
        """``gatebot heartbeat N --progress P``."""
        self.call("heartbeat", task.number, "heartbeat", str(task.number), "--progress",
                  str(self.rng.randrange(10, 90, 10)), "--note", "soaking", "--as", self.name)

    def give_back(self, task: BoardTask) -> None:
        """``gatebot release N``: the holder hands the task back to READY."""
        self.call("release", task.number, "release", str(task.number), "--as", self.name)
        self.builds.pop(task.number, None)

    def build_mode(self) -> str:
        """good, broken (fails gate 1) or poisoned (fails only after integration, gate 2)."""
        firsts = self.spec["first_builds"]
        if not self.attempts and self.index < len(firsts):
            return firsts[self.index]
        roll = self.rng.random()
        return ("broken" if roll < self.spec["broken"] else
                "poisoned" if roll < self.spec["broken"] + self.spec["poisoned"] else "good")

    def work(self, task: BoardTask) -> None:
        """Build on a fresh ``task/N-…`` branch: a work file and a test, pushed as this agent.

        A poisoned build starts from C0 (before ``work/seed.txt``) and declares
        a conflict with ``seed``: its own tree passes, its integration does not.
        """
        n, mode = task.number, self.build_mode()
        self.attempts[n] += 1
        branch = f"task/{n}-{self.name.rsplit('-', 1)[-1]}-{self.attempts[n]}"
        base = self.spec["c0"] if mode == "poisoned" else "origin/main"
        git(self.path, "checkout", "-q", "-B", branch, base)
        body = [f"name: task-{n}", f"line: built by {self.name}"]
        body += ["conflicts-with: seed"] if mode == "poisoned" else []
        body += [] if mode == "broken" else ["end"]
        (self.path / "work").mkdir(exist_ok=True)
        (self.path / f"work/task-{n}.txt").write_text("\n".join(body) + "\n", encoding="utf-8")
        (self.path / "tests").mkdir(exist_ok=True)
        (self.path / f"tests/test_task_{n}.py").write_text(
            f"def test_task_{n}():\n    assert {n} == {n}\n", encoding="utf-8")
        git(self.path, "add", "work", "tests")
        git(self.path, "commit", "-q", "-m", f"task #{n}: {mode} build", env=identity(self.name))
        git(self.path, "push", "-q", "origin", branch)
        head = git(self.path, "rev-parse", "HEAD")
        self.builds[n] = Build(branch, head, mode)
        self.note("build", n, branch=branch, head=head, mode=mode)

    def submit(self, task: BoardTask) -> None:
        """``gatebot submit N --branch B``; then, once, probe approving one's own task."""
        build = self.builds[task.number]
        done = self.call("submit", task.number, "submit", str(task.number), "--branch",
                         build.branch, "--as", self.name)
        if done.returncode == 0 and not self.probed["review-own"]:
            self.review_own(task, build.branch)

    def checkout(self, task: BoardTask, branch: str = "") -> str | None:
        """Fetch and check out ``branch`` (default: the task's ``Branch`` field)."""
        branch = branch or task.fields.get("Branch", "")
        if not branch or not git(self.path, "ls-remote", "--heads", "origin", branch):
            return None
        git(self.path, "fetch", "-q", "origin", branch)
        git(self.path, "checkout", "-q", "-B", branch, "FETCH_HEAD")
        return branch

    def last_event(self, number: int) -> str:
        """The newest ``Gatebot-Event`` of task ``number`` on ``origin/main``."""
        return git(self.path, "log", "-1", "--format=%(trailers:key=Gatebot-Event,valueonly)",
                   "-E", f"--grep=^Gatebot-Task: #{number}$", "origin/main")

    def review(self, task: BoardTask) -> None:
        """Gate 1 on someone else's task: approve, or reject what failed its checks or gate 2."""
        n = task.number
        if self.checkout(task) is None:
            return
        if self.last_event(n) == "merge-failed":  # an escalation is re-approved: same head
            self.call("reject", n, "review", "--reject", "failed after integration with main",
                      "--task", str(n), "--as", self.name, why="gate2")
            return
        done = self.call("approve", n, "review", "--approve", "--task", str(n), "--as",
                         self.name, "--format", "json")
        failed = failed_rules(done.stdout)
        if done.returncode == 1 and "reviewer" in failed:  # a builder of an earlier attempt
            self.ineligible.add(("REVIEW", n, task.fields.get("Branch", "")))
        elif done.returncode == 1 and any(r.startswith("checks.") for r in failed):
            self.call("reject", n, "review", "--reject", "gate 1 checks failed", "--task",
                      str(n), "--as", self.name, why="gate1")
        elif done.returncode == 0 and not self.probed["merge-own-approval"]:
            self.probed["merge-own-approval"] += 1
            self.call("merge", n, "merge", "--task", str(n), "--as", self.name,
                      expect="refused", probe="merge-own-approval")

    def review_own(self, task: BoardTask, branch: str = "") -> None:
        """Probe: approving a task one built must be refused (rule ``reviewer``)."""
        self.probed["review-own"] += 1
        if self.checkout(task, branch) is not None:
            self.call("approve", task.number, "review", "--approve", "--task", str(task.number),
                      "--as", self.name, "--format", "json", expect="refused", probe="review-own")

    def merge(self, task: BoardTask) -> None:
        """Gate 2 and the landing on someone else's approved task."""
        done = self.call("merge", task.number, "merge", "--task", str(task.number), "--as",
                         self.name)
        if done.returncode == 1 and "may not review" in done.stderr:
            self.ineligible.add(("RDY FOR PROD", task.number, task.fields.get("Branch", "")))

    def merge_ineligible(self, task: BoardTask) -> None:
        """Probe: merging a task one built or approved must be refused."""
        self.probed["merge-ineligible"] += 1
        self.call("merge", task.number, "merge", "--task", str(task.number), "--as", self.name,
                  expect="refused", probe="merge-ineligible")

    def sweep(self, _task: BoardTask | None) -> None:
        """``gatebot sweep`` (nothing is stale in a soak: it must change nothing)."""
        self.call("sweep", None, "sweep")


def failed_rules(stdout: str) -> list[str]:
    """The ids of rules that did not pass in a JSON verdict (empty when unreadable)."""
    try:
        verdict = json.loads(stdout)
    except ValueError:
        return []
    return [r["id"] for r in verdict.get("rules", []) if r.get("status") in ("fail", "error")]


def agent_main(spec_path: str) -> int:
    """Entry point of one agent process."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    Agent(spec).run()
    return 0


# -- running ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SoakRun:
    """A finished run: where it ran, every logged record, times in seconds, violations.

    ``agents_s`` is the agents' wall time (first spawn to last exit), ``wall_s``
    adds the setup and the checks; ``violations`` is empty when every invariant held.
    """

    soak: Soak
    records: list[dict[str, Any]]
    agents_s: float
    wall_s: float
    violations: list[str]

    @property
    def released(self) -> int:
        """How many tasks are RELEASED on origin's main."""
        board = parse_board(git(self.soak.origin, "show", "main:TODO.md"))
        return sum(t.stage == "RELEASED" for t in board)

    @property
    def stops(self) -> dict[str, int]:
        """Why the agents stopped (``all-released``, ``budget``, ``max-steps``) and how many."""
        return dict(Counter(r["reason"] for r in self.records if r["op"] == "stop"))


def agent_spec(soak: Soak, cfg: SoakConfig, index: int, deadline: float) -> dict[str, Any]:
    """The spec of process ``index``: its clone, log, seed, deadline, chances, landing mode."""
    name = process_name(cfg, index)
    return {"name": name, "index": index, "clone": str(soak.clone(name)),
            "seed": cfg.seed * 1000 + index, "deadline": deadline, "max_steps": cfg.max_steps,
            "log": str(soak.logs / f"{name}.jsonl"), "c0": soak.c0, "broken": cfg.broken,
            "poisoned": cfg.poisoned, "give_up": cfg.give_up,
            "first_builds": list(cfg.first_builds), "land": cfg.land}


def spawn(soak: Soak, cfg: SoakConfig, index: int, deadline: float) -> subprocess.Popen[bytes]:
    """Start process ``index`` for real (``python -m tests.soak agent SPEC``; the lander's
    module is ``tests.soak_lander``)."""
    name = process_name(cfg, index)
    module = "tests.soak_lander" if name == LANDER else "tests.soak"
    spec = agent_spec(soak, cfg, index, deadline)
    path = soak.logs / f"{name}.spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, **GIT_QUIET, "PYTHONPATH": str(ROOT)}
    with (soak.logs / f"{name}.stderr").open("wb") as err:  # the child keeps its own copy
        return subprocess.Popen([sys.executable, "-m", module, "agent", str(path)],
                                cwd=ROOT, env=env, stdout=err, stderr=subprocess.STDOUT)


def read_logs(logs: Path) -> list[dict[str, Any]]:
    """Every logged record of every agent, in time order."""
    records = [json.loads(line) for path in sorted(logs.glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines() if line]
    return sorted(records, key=lambda r: r["t0"])


def run_soak(root: Path, cfg: SoakConfig) -> SoakRun:
    """Set up, run the agents to the end (or the budget) and check every invariant."""
    start = time.time()
    soak = setup(root, cfg)
    begin = time.time()
    procs = [spawn(soak, cfg, i, begin + cfg.budget_s) for i in range(cfg.processes)]
    crashed = []
    for i, proc in enumerate(procs):
        try:
            code = proc.wait(timeout=max(1.0, begin + cfg.budget_s + 330 - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        if code != 0:
            crashed.append(f"agent {process_name(cfg, i)} exited {code}: see {soak.logs}")
    agents_s = time.time() - begin
    records = read_logs(soak.logs)
    violations = crashed + check_all(soak, records)
    return SoakRun(soak, records, round(agents_s, 2), round(time.time() - start, 2), violations)


# -- the invariants ---------------------------------------------------------------------
@dataclass(frozen=True)
class Commit:
    """A first-parent commit of ``main``: SHA, parents, author, ``Gatebot-*`` trailers."""

    sha: str
    parents: tuple[str, ...]
    author: str
    trailers: dict[str, str]

    @property
    def event(self) -> str:
        """The ``Gatebot-Event`` trailer ('' for a commit that is not gatebot's)."""
        return self.trailers.get("Gatebot-Event", "")

    @property
    def task(self) -> int | None:
        """The task number of the ``Gatebot-Task`` trailer, if it names one."""
        m = re.fullmatch(r"#(\d+)", self.trailers.get("Gatebot-Task", ""))
        return int(m.group(1)) if m else None


def history(origin: Path, ref: str = "main") -> list[Commit]:
    """``ref``'s first-parent chain, oldest first."""
    out = git(origin, "log", "--first-parent", "--reverse", "--format=%H%x1f%P%x1f%an%x1f%B%x1e",
              ref)
    commits = []
    for record in out.split("\x1e"):
        if record.strip():
            sha, parents, author, body = record.strip("\n").split("\x1f", 3)
            trailers = dict(re.findall(r"^(Gatebot-[A-Za-z-]+): *(.*?) *$", body, re.MULTILINE))
            commits.append(Commit(sha, tuple(parents.split()), author, trailers))
    return commits


def cat_files(origin: Path, specs: Iterable[str]) -> list[str | None]:
    """``git cat-file --batch`` over ``rev:path`` specs: each object's text, or None."""
    wanted = list(specs)
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=origin, input="\n".join(wanted)
                          .encode() + b"\n", capture_output=True, check=True)
    data, pos, found = proc.stdout, 0, []
    for _ in wanted:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        if header[-1] == b"missing":
            found.append(None)
            pos = end + 1
            continue
        size = int(header[2])
        found.append(data[end + 1:end + 1 + size].decode("utf-8", "replace"))
        pos = end + 1 + size + 1
    return found


def object_ids(origin: Path, specs: Iterable[str]) -> list[str | None]:
    """``git cat-file --batch-check`` over ``rev:path`` specs: each object's SHA, or None."""
    wanted = list(specs)
    out = git(origin, "cat-file", "--batch-check=%(objectname)", stdin="\n".join(wanted) + "\n")
    return [None if line.endswith(" missing") else line for line in out.splitlines()]


def check_board_history(origin: Path, tasks: int) -> list[str]:
    """Invariant 1: at every commit of main no task appears twice, every IN-PROGRESS task
    has exactly one Assignee, and once all tasks were added none is ever lost."""
    commits = history(origin)
    problems: list[str] = []
    complete = False
    for commit, text in zip(commits, cat_files(origin, (f"{c.sha}:TODO.md" for c in commits)),
                            strict=True):
        board = parse_board(text or "")
        numbers = Counter(t.number for t in board)
        at = f"{commit.sha[:10]} ({commit.event or 'plain'} #{commit.task})"
        problems += [f"{at}: task #{n} appears {k} times" for n, k in numbers.items() if k > 1]
        for t in board:
            if t.stage == "IN-PROGRESS" and len(t.names("Assignee")) != 1:
                problems.append(f"{at}: IN-PROGRESS task #{t.number} has Assignee "
                                f"{t.fields.get('Assignee')!r}")
        complete = complete or set(numbers) == set(range(1, tasks + 1))
        if complete and set(numbers) != set(range(1, tasks + 1)):
            problems.append(f"{at}: tasks lost or added: {sorted(numbers)}")
    return problems


def check_claims(origin: Path, records: Sequence[dict[str, Any]]) -> list[str]:
    """Invariants 1 and 2 from the agents' logs: every board commit an agent was told about
    is on main with the event it asked for; one ``claimed`` commit and one archive entry per
    claim won; two claims of one task overlap in time only around a return to READY."""
    commits = history(origin)
    position = {c.sha: i for i, c in enumerate(commits)}
    problems: list[str] = []
    won: dict[int, list[tuple[int | None, dict[str, Any]]]] = defaultdict(list)
    for r in records:
        if r.get("rc") != 0:
            continue
        where = None
        for said in SHA_SAID.finditer(r["err"]):
            short = said.group(1) or said.group(2)
            hits = [c for c in commits if c.sha.startswith(short)]
            if len(hits) != 1:
                problems.append(f"{r['agent']} {r['op']} #{r['task']}: board commit {short} "
                                "it was told about is not on main's first-parent chain")
            elif r["op"] == "claim":
                hit, where = hits[0], position[hits[0].sha]
                if (hit.event, hit.task, hit.trailers.get("Gatebot-Actor")) != (
                        "claimed", r["task"], r["agent"]):
                    problems.append(f"{r['agent']} claim #{r['task']}: {short} is {hit.trailers}")
        if r["op"] == "claim":
            won[r["task"]].append((where, r))
    claimed = Counter(c.task for c in commits if c.event == "claimed")
    for number in set(claimed) | set(won):
        if claimed[number] != len(won[number]):
            problems.append(f"task #{number}: {claimed[number]} claimed commits on main but "
                            f"{len(won[number])} claims reported won")
        ordered = sorted(((p, r) for p, r in won[number] if p is not None), key=lambda x: x[0])
        for (p1, r1), (p2, r2) in itertools.pairwise(ordered):
            back = [c for c in commits[p1 + 1:p2] if c.task == number
                    and c.event in ("unclaimed", "rejected", "force-released")]
            if not back:
                problems.append(f"task #{number}: claimed by {r1['agent']} and {r2['agent']} "
                                "with no return to READY between")
    return problems + check_archive(origin, commits)


def check_archive(origin: Path, commits: Sequence[Commit]) -> list[str]:
    """Invariant 2: the archive at main holds one entry per board event, per task."""
    names = git(origin, "ls-tree", "-r", "--name-only", "main", "coordination/archive").split()
    text = "".join(t or "" for t in cat_files(origin, (f"main:{n}" for n in names)))
    entries = Counter(re.findall(r"- \*\*Task\*\*: #(\d+)\n- \*\*Event\*\*: (\S+)", text))
    events = ("claimed", "submitted", "approved", "rejected", "released", "merge-failed")
    made = Counter((str(c.task), c.event) for c in commits if c.event in events)
    return [f"task #{task}: {n} {event} board commits but {entries[(task, event)]} archive "
            f"entries" for (task, event), n in made.items() if entries[(task, event)] != n] + [
        f"task #{task}: archive {event} entry with no board commit"
        for (task, event) in entries if event in events and (task, event) not in made]


def check_releases(origin: Path, records: Sequence[dict[str, Any]] = ()) -> list[str]:
    """Invariant 3: every release has two distinct reviewers, neither a builder, the first
    the actor of an ``approved`` commit for the same head; one release per task; no build
    logged broken or poisoned was ever approved or released."""
    commits = history(origin)
    problems: list[str] = []
    released = Counter(c.task for c in commits if c.event == "released")
    problems += [f"task #{n}: {k} release commits" for n, k in released.items() if k > 1]
    bad_heads = {r["head"]: r["mode"] for r in records
                 if r["op"] == "build" and r["mode"] != "good"}
    for i, c in enumerate(commits):
        head = c.trailers.get("Gatebot-Head", "")
        if c.event == "approved" and bad_heads.get(head) == "broken":
            problems.append(f"{c.sha[:10]}: approved the broken build {head[:10]}")
        if c.event != "released":
            continue
        at = f"release {c.sha[:10]} of #{c.task}"
        if bad_heads.get(head):
            problems.append(f"{at}: released the {bad_heads[head]} build {head[:10]}")
        reviewers = [x.strip() for x in c.trailers.get("Gatebot-Reviewed-by", "").split(",")]
        if len(reviewers) != 2 or len({x.casefold() for x in reviewers}) != 2 or "" in reviewers:
            problems.append(f"{at}: Gatebot-Reviewed-by {reviewers} is not two distinct names")
            continue
        if len(c.parents) != 2 or c.parents[1] != head:
            problems.append(f"{at}: parents {c.parents} are not (base, Gatebot-Head {head})")
            continue
        builders = set(git(origin, "log", "--format=%an%n%cn", f"{c.parents[0]}..{head}")
                       .casefold().splitlines())
        builders |= {x.trailers.get("Gatebot-Actor", "").casefold() for x in commits[:i]
                     if x.task == c.task and x.event == "claimed"}
        problems += [f"{at}: reviewer {x} built it" for x in reviewers if x.casefold() in builders]
        approvals = [x for x in commits[:i] if x.event == "approved" and x.task == c.task
                     and x.trailers.get("Gatebot-Head") == head]
        if reviewers[0] not in [x.trailers.get("Gatebot-Actor") for x in approvals]:
            problems.append(f"{at}: first reviewer {reviewers[0]} approved no gate 1 of {head[:10]}")
    return problems


def check_trees(origin: Path) -> list[str]:
    """Invariant 4: the check passes on the tree of every commit of main's first-parent chain.

    The check reads only ``work/`` and ``tools/``, so trees with the same two
    subtrees share one run (board commits change neither).
    """
    commits = history(origin)
    keys = object_ids(origin, [f"{c.sha}:{d}" for c in commits for d in ("work", "tools")])
    seen: dict[tuple[str | None, ...], str] = {}
    problems = []
    for i, c in enumerate(commits):
        key = (keys[2 * i], keys[2 * i + 1])
        if key not in seen:
            seen[key] = run_check(origin, c.sha)
        if seen[key]:
            problems.append(f"{c.sha[:10]} ({c.event or 'plain'} #{c.task}): check failed: "
                            f"{seen[key]}")
    return problems


def check_tested_in(origin: Path) -> list[str]:
    """Invariant 4 for batched landings (``gatebot queue run``): the releases that name
    ``Gatebot-Tested-in: <tree>`` come in runs of two or more consecutive releases naming the
    same tree, the releases of one green check run, and that tree is the run's last release's
    tree, or differs from it in board files only (a tree tested before main got a board commit:
    the queue lands the same work rebuilt on the new tip; origin may hold the tested tree when
    a push of it lost its race at origin's ref update, after the objects were received)."""
    commits = history(origin)
    trees = git(origin, "log", "--first-parent", "--reverse", "--format=%T", "main").split()
    problems, i = [], 0
    while i < len(commits):
        tested = commits[i].trailers.get("Gatebot-Tested-in")
        end = i
        while tested and end + 1 < len(commits) and (
                commits[end + 1].trailers.get("Gatebot-Tested-in") == tested):
            end += 1
        if tested and (end == i or not _board_only(origin, tested, trees[end])):
            problems.append(f"releases {commits[i].sha[:10]}..{commits[end].sha[:10]}: "
                            f"Gatebot-Tested-in {tested[:10]} is not their landing's last tree")
        i = end + 1
    return problems


def _board_only(origin: Path, tested: str, landed: str) -> bool:
    """Whether tree ``tested`` equals ``landed`` but for the board files (or origin lacks it)."""
    if tested == landed:
        return True
    if git(origin, "cat-file", "-t", tested, check=False) != "tree":
        return True  # never pushed: the board-commit case, nothing more to compare
    board = BoardConfig()  # the soak's board: the default paths
    names = git(origin, "diff-tree", "-r", "--name-only", tested, landed).split("\n")
    return all(owned(n, board_paths=(board.todo, board.current_state),
                     archive_dir=board.archive_dir) for n in names if n)


def run_check(origin: Path, sha: str) -> str:
    """Run ``tools/check_work.py`` on commit ``sha``'s tree; '' when it passes, else its output."""
    with tempfile.TemporaryDirectory(prefix="soak-tree-") as tmp:
        archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=origin,
                                 capture_output=True, check=True).stdout
        Path(tmp, "tree.tar").write_bytes(archive)
        with tarfile.open(Path(tmp, "tree.tar")) as tar:
            tar.extractall(Path(tmp, "tree"), filter="data")
        tree = Path(tmp, "tree")
        if not (tree / "tools/check_work.py").is_file():
            return "" if not (tree / "work").exists() else "work files but no check"
        done = subprocess.run([sys.executable, "tools/check_work.py"], cwd=tree, text=True,
                              capture_output=True, check=False, timeout=120)
        return "" if done.returncode == 0 else (done.stdout + done.stderr).strip()


def check_status(clone: Path) -> list[str]:
    """Invariant 5: ``gatebot status --format json`` in ``clone`` agrees with origin's board.

    Stage counts, and the claims (which travel with the origin, whichever
    clone made them): each shown claim is an IN-PROGRESS task of that
    session, and each IN-PROGRESS task's holder has a claim.
    """
    done = gatebot(clone, "status", "--format", "json", name=LEAD)
    if done.returncode != 0:
        return [f"gatebot status exited {done.returncode}: {done.stderr.strip()}"]
    status = json.loads(done.stdout)
    git(clone, "fetch", "-q", "origin")
    board = parse_board(git(clone, "show", "origin/main:TODO.md"))
    stages = Counter(t.stage for t in board)
    problems = [f"status counts {status['stages'].get(s)} {s} tasks, the board {stages[s]}"
                for s in STAGES if status["stages"].get(s, 0) != stages[s]]
    by_number = {t.number: t for t in board}
    held = {(c["task"], c["session"].casefold()) for c in status["claims"]}
    for claim in status["claims"]:
        task = by_number.get(claim["task"])
        if task is None or task.stage != "IN-PROGRESS" or claim["session"].casefold() not in [
                a.casefold() for a in task.names("Assignee")]:
            where = task.stage if task else "nowhere"
            problems.append(f"status shows {claim['session']} holding #{claim['task']}, "
                            f"which is {where} on the board")
    problems += [f"#{t.number} is IN-PROGRESS for {t.names('Assignee')} but status shows no "
                 "such claim" for t in board if t.stage == "IN-PROGRESS"
                 and not {(t.number, a.casefold()) for a in t.names("Assignee")} & held]
    return problems + [f"status problem: {p}" for p in status.get("problems", [])]


def check_probes(records: Sequence[dict[str, Any]]) -> list[str]:
    """Every call that had to be refused was refused (exit 1), and nothing crashed (exit 2/3)."""
    calls = [r for r in records if "rc" in r]
    return [f"{r['agent']} {r['probe']} on #{r['task']} exited {r['rc']}: {r['err'].strip()}"
            for r in calls if r.get("expect") == "refused" and r["rc"] != 1
            and not (r["rc"] == 0 and r["op"] == "claim")  # released meanwhile: check_claims
            and not (r["rc"] == 0 and "is already merged" in r["err"])] + [
        f"{r['agent']} {r['op']} #{r['task']} exited {r['rc']}: {r['err'].strip()[-300:]}"
        for r in calls if r["rc"] not in (0, 1)]


def check_all(soak: Soak, records: Sequence[dict[str, Any]], *, status: bool = True) -> list[str]:
    """Every invariant of the issue on a finished run; the list of violations (empty: held)."""
    tasks = len(parse_board(git(soak.origin, "show", "main:TODO.md")))
    found = (check_probes(records) + check_board_history(soak.origin, tasks)
             + check_claims(soak.origin, records) + check_releases(soak.origin, records)
             + check_trees(soak.origin) + check_tested_in(soak.origin))
    if status:
        fresh = soak.root / "fresh-clone"
        if not fresh.exists():
            git(soak.root, "clone", "-q", str(soak.origin), str(fresh))
        found += check_status(fresh)
    return found


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "agent":
        sys.exit(agent_main(sys.argv[2]))
    sys.exit("usage: python -m tests.soak agent SPEC.json")
