"""``gatebot audit`` on a real repository whose history gatebot itself wrote.

The test drives the whole lifecycle with the real CLI — adds, claims, submits,
a rejection, approvals, landings, a failed re-test, a conflict escalation, a
stale claim found by a sweep and released by force, a critical task — at
fixed times, logs each step it caused, and counts the expected figures from
that log itself. Hand edits, trailers merged in from a branch and a commit
faking gatebot's trailers are added on top; the audit must ignore each.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.repos import Repo, git, make_repo, run_cli

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
BOARD = textwrap.dedent("""\
    # 📋 TODO

    ## 🟢 READY

    ## 🔨 IN-PROGRESS

    ## 👀 REVIEW

    ## ✅ RDY FOR PROD

    ## 🚀 RELEASED
    """)
CHECK = ("import pathlib, sys\n"
         "sys.exit(1 if pathlib.Path('a.txt').exists() and pathlib.Path('b.txt').exists() else 0)\n")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Story:
    """A repository, a clock the test moves, and the log of what the test made happen."""

    repo: Repo
    mp: pytest.MonkeyPatch
    log: list[tuple[str, int, str, datetime]] = field(default_factory=list)
    now: datetime = T0

    def at(self, hours: float) -> None:
        self.now = T0 + timedelta(hours=hours)
        for key in ("GATEBOT_NOW", "GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE"):
            self.mp.setenv(key, stamp(self.now))

    def cli(self, *args: str, code: int = 0) -> str:
        result = run_cli(self.repo.path, *args)
        assert result.exit_code == code, result.output
        return result.output

    def did(self, event: str, task: int, actor: str = "") -> None:
        self.log.append((event, task, actor, self.now))

    def add(self, title: str, *extra: str) -> int:
        number = int(self.cli("task", "add", title, *extra, "--as", "alice").split()[0])
        self.did("added", number, "alice")
        return number

    def build(self, task: int, builder: str, files: dict[str, str]) -> str:
        """Claim, push a branch with ``files``, submit; return the branch."""
        self.cli("claim", str(task), "--as", builder)
        self.did("claimed", task, builder)
        branch = f"task/{task}-work"
        self.repo.git("checkout", "-q", "-B", branch, "origin/main")
        for rel, text in files.items():
            self.repo.write(rel, text)
        self.repo.commit(f"work on #{task}", as_=builder)
        self.repo.git("push", "-q", "-f", "origin", branch)
        self.cli("submit", str(task), "--branch", branch, "--as", builder)
        self.did("submitted", task, builder)
        return branch

    def approve(self, task: int, reviewer: str) -> None:
        self.repo.git("checkout", "-q", f"task/{task}-work")
        self.cli("review", "--approve", "--as", reviewer)
        self.did("approved", task, reviewer)

    def merge(self, task: int, reviewer: str, event: str, code: int = 0) -> None:
        self.cli("merge", "--task", str(task), "--as", reviewer, code=code)
        self.did(event, task, reviewer)

    def main_commit(self, rel: str, text: str, message: str = "main moves") -> str:
        self.repo.git("checkout", "-q", "main")
        self.repo.git("pull", "-q", "--ff-only", "origin", "main")
        self.repo.write(rel, text)
        sha = self.repo.commit(message, as_="maint")
        self.repo.git("push", "-q", "origin", "main")
        return sha


def make_story(tmp_path: Path, mp: pytest.MonkeyPatch) -> Story:
    story = Story(make_repo(tmp_path, todo=BOARD), mp)
    story.at(-1)
    config = ("min_coverage = 0\n[checks]\nnox_sessions = []\nrequired = [\"tests\"]\n"
              f'commands = {{ tests = ["{sys.executable}", "check.py"] }}\n'
              '[claims]\nsettle = [0, 0]\nmaintainers = ["maint"]\n')
    story.repo.write(".gatebot.toml", config)
    story.repo.write("check.py", CHECK)
    story.repo.commit("configure gatebot")
    story.repo.git("push", "-q", "origin", "main")
    return story


def live(story: Story) -> None:
    """The lifecycle, step by step, each at its own hour."""
    s = story
    s.at(0)
    one, two, three, four, five, six = (s.add(t) for t in ("One", "Two", "Three", "Four",
                                                             "Five", "Six"))
    crit = s.add("Hotfix", "--critical")
    s.at(1)
    s.build(one, "bob", {"app/one.py": '"""One."""\n', "tests/test_one.py": "x = 1\n"})
    s.at(2)
    s.approve(one, "rev-a")
    s.at(4)
    s.merge(one, "rev-b", "released")                     # 3 h from claim, 3 h from REVIEW
    s.at(5)
    s.build(two, "carol", {"app/two.py": '"""Two."""\n', "tests/test_two.py": "x = 1\n"})
    s.at(6)
    s.repo.git("checkout", "-q", f"task/{two}-work")
    s.cli("review", "--reject", "no tests for the edge case", "--as", "rev-a")
    s.did("rejected", two, "rev-a")
    s.at(7)
    s.build(two, "carol", {"tests/test_two.py": "x = 2\n"})
    s.at(8)
    s.approve(two, "rev-b")
    s.at(10)
    s.merge(two, "rev-a", "released")                     # 3 h from the second claim
    s.at(11)
    s.build(three, "dave", {"a.txt": "a\n", "tests/test_a.py": "x = 1\n"})
    s.approve(three, "rev-a")
    s.main_commit("b.txt", "b\n")
    s.at(12)
    s.merge(three, "rev-b", "merge-failed", code=1)       # red after integration
    s.at(13)
    s.build(five, "erin", {"app/core.py": '"""C."""\nx = "branch"\n', "tests/t5.py": "x = 1\n"})
    s.approve(five, "rev-a")
    s.main_commit("app/core.py", '"""C."""\nx = "main"\n')
    s.at(14)
    s.merge(five, "rev-b", "escalated", code=1)           # a real conflict
    s.at(15)
    s.build(crit, "bob", {"app/fix.py": '"""Fix."""\n', "tests/test_fix.py": "x = 1\n"})
    s.approve(crit, "rev-c")
    s.at(16)
    s.merge(crit, "rev-a", "released")                    # 1 h, critical
    s.at(20)
    s.cli("claim", str(six), "--as", "frank")
    s.did("claimed", six, "frank")
    s.at(21)
    s.cli("sweep")
    s.did("stale", six)
    s.at(22)
    s.cli("release", str(six), "--force", "--reason", "agent crashed", "--as", "maint")
    s.did("force-released", six, "maint")
    del four


def forge_history(story: Story) -> list[str]:
    """Commits the audit must ignore: a hand edit, a faked trailer, a branch's trailers."""
    s = story
    s.at(23)
    hand = s.main_commit("coordination/archive/2025-11-03.md", "# rewritten by hand\n",
                         "tidy the archive")
    fake = s.main_commit("notes.txt", "n\n", "land it\n\nGatebot-Task: #4\nGatebot-Event: released")
    s.repo.git("checkout", "-q", "-b", "sneaky", "origin/main")
    s.repo.write("sneaky.txt", "s\n")
    branch = s.repo.commit("approve myself\n\nGatebot-Task: #4\nGatebot-Event: approved",
                           as_="mallory")
    s.repo.git("checkout", "-q", "main")
    git(s.repo.path, "merge", "-q", "--no-ff", "-m", "merge sneaky", "sneaky",
        env={"GIT_COMMITTER_NAME": "maint", "GIT_COMMITTER_EMAIL": "maint@example.com"})
    s.repo.git("push", "-q", "origin", "main")
    return [hand, fake, branch]


def expected(log: list[tuple[str, int, str, datetime]]) -> dict[str, int]:
    seen = Counter(event for event, *_ in log)
    return {"added": seen["added"], "claimed": seen["claimed"], "submitted": seen["submitted"],
            "approved": seen["approved"], "rejected": seen["rejected"],
            "landed": seen["released"], "sent_back": seen["merge-failed"] + seen["escalated"],
            "force_released": seen["force-released"]}


def hours_between(log: list[tuple[str, int, str, datetime]], start: str) -> list[float]:
    found = []
    for event, task, _actor, moment in log:
        if event == "released":
            begun = [m for e, t, _a, m in log if t == task and e == start and m <= moment]
            found.append((moment - begun[-1]).total_seconds() / 3600)
    return sorted(found)


@pytest.mark.slow
def test_audit_counts_what_gatebot_did_and_ignores_the_rest(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    story = make_story(tmp_path, monkeypatch)
    live(story)
    ignored = forge_history(story)
    story.at(24 * 4)  # Nov 7: the period of 7 days runs Nov 1 - Nov 7
    report = json.loads(story.cli("audit", "--format", "json"))
    counts = {k: v["value"] for k, v in report["counts"].items()}
    want = expected(story.log)
    assert {k: counts[k] for k in want} == want
    assert counts["released_critical"] == 1
    esc = {k: v["value"] for k, v in report["escalated"].items()}
    assert esc == {"conflict": 1, "red_after_integration": 1, "push_refused": 0,
                   "stale_claim": 1, "total": 3, "tasks": 3, "flaky": 0}
    landing = report["success"]["landing"]
    assert (landing["numerator"], landing["denominator"]) == (3, 5)
    assert (report["success"]["gate1"]["numerator"],
            report["success"]["gate1"]["denominator"]) == (want["approved"],
                                                          want["approved"] + want["rejected"])
    claim = report["durations"]["claim_to_release"]
    assert (claim["count"], claim["max_h"]) == (3, max(hours_between(story.log, "claimed")))
    assert claim["median_h"] == hours_between(story.log, "claimed")[1]
    review = report["durations"]["review_to_release"]
    assert review["mean_h"] == round(sum(hours_between(story.log, "submitted")) / 3, 2)
    rules = {(f["rule"], f["gate"]): f["count"] for f in report["gate_failures"]}
    assert rules == {("checks.tests", "release"): 1, ("conflicts", "release"): 1}
    (timing,) = report["slowest_checks"]  # every approval ran the one check
    assert (timing["check"], timing["runs"]) == ("tests", want["approved"])
    (stale,) = report["stale_claims"]
    assert (stale["task"], stale["session"], stale["lapsed_h"]) == (6, "frank", 1.0)
    (forced,) = report["forced_releases"]
    assert (forced["task"], forced["holder"], forced["by"], forced["reason"]) == (
        6, "frank", "maint", "agent crashed")
    load = {r["reviewer"]: (r["gate1"]["value"], r["gate2"]["value"], r["builders_landed"])
            for r in report["reviewers"]}
    assert load == {"rev-a": (3, 2, ["carol", "bob"]), "rev-b": (1, 1, ["bob"]),
                    "rev-c": (1, 0, [])}
    assert sorted(i["sha"] for i in report["ignored"]) == sorted(ignored)
    for figure in (report["counts"]["landed"], report["escalated"]["total"]):
        for sha in figure["sources"]:
            assert "Gatebot-Event:" in git(story.repo.origin, "show", "-s", "--format=%B", sha)
    days = {d["date"]: d for d in report["daily"]}
    for day in ("2025-11-03", "2025-11-04"):
        on = [e for e, _t, _a, m in story.log if m.date().isoformat() == day]
        assert days[day]["landed"] == on.count("released")
        assert days[day]["escalated"] == sum(on.count(e) for e in ("merge-failed", "escalated",
                                                                    "stale"))
    assert days["2025-11-06"]["open"] == {"READY": 2, "IN-PROGRESS": 0, "REVIEW": 2,
                                          "RDY FOR PROD": 0}

    text = story.cli("audit")
    assert text.startswith("📊 WEEKLY AUDIT (Nov 1 - Nov 7)\n\n✅ Auto-Merged: 3 tasks\n"
                           "🚨 Escalated: 3 tasks\n📈 Success Rate: 60%\n")
    assert f"⏱️ Avg Time to Merge: {review['mean_h']:.1f} hours" in text
    markdown = story.cli("audit", "--format", "markdown", "--output", "audit.md")
    assert "audit written to audit.md" in markdown
    assert "| landed (auto-merged) | 3 |" in (story.repo.path / "audit.md").read_text()


def test_a_period_before_anything_happened_is_empty_and_bad_periods_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    story = make_story(tmp_path, monkeypatch)
    story.at(0)
    story.add("One")
    report = json.loads(story.cli("audit", "--since", "2025-10-01", "--until", "2025-10-31",
                                  "--format", "json"))
    assert report["counts"]["added"]["value"] == 0
    assert report["since"] == "2025-10-01T00:00:00Z" and report["until"] == "2025-11-01T00:00:00Z"
    assert len(report["daily"]) == 31
    assert "AUDIT (Oct 1 - Oct 31)" in story.cli("audit", "--since", "2025-10-01",
                                                 "--until", "2025-10-31")
    for args in (("--since", "yesterday"), ("--since", "0d"),
                 ("--since", "2025-11-05", "--until", "2025-11-01")):
        result = run_cli(story.repo.path, "audit", *args)
        assert result.exit_code == 2, result.output
        assert "hint:" in result.output


def test_the_slowest_checks_come_from_the_approval_commits_in_every_format(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    story = make_story(tmp_path, monkeypatch)
    story.at(0)
    for number, builder in ((story.add("One"), "bob"), (story.add("Two"), "carol")):
        story.build(number, builder, {f"app/m{number}.py": '"""M."""\n',
                                      f"tests/test_m{number}.py": "x = 1\n"})
        story.approve(number, "rev-a")
    log = git(story.repo.origin, "log", "--format=%H %(trailers:key=Gatebot-Check-Durations,"
              "valueonly,separator=)", "main")
    recorded = {sha: float(value.removeprefix("tests=").removesuffix("s"))
                for sha, _, value in (line.partition(" ") for line in log.splitlines()) if value}
    assert len(recorded) == 2  # the two approvals, and nothing else
    story.at(2)
    report = json.loads(story.cli("audit", "--format", "json"))
    assert report["slowest_checks"] == [{
        "check": "tests", "runs": 2, "median_s": round(sum(recorded.values()) / 2, 1),
        "max_s": max(recorded.values()), "sources": list(reversed(list(recorded)))}]
    timing = report["slowest_checks"][0]
    median, peak = f"{timing['median_s']:.1f}", f"{timing['max_s']:.1f}"
    assert f"tests: median {median} s, max {peak} s (2 runs)" in story.cli("audit")
    assert f"| `tests` | 2 | {median} s | {peak} s |" in story.cli("audit", "--format",
                                                                    "markdown")
    assert (f'<tr><td><code>tests</code></td><td class="n">2</td><td class="n">{median}</td>'
            f'<td class="n">{peak}</td></tr>') in story.cli("audit", "--format", "html")
