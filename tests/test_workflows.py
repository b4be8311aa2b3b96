"""The GitHub Actions files, parsed as GitHub reads them (YAML 1.2) and held to the security model.

Covers this project's own `.github/workflows/`, `action.yml`, and every workflow `gatebot init
--github` writes (both renderings: a user's repository and gatebot's own). Asserted from the
parsed files, not from prose: minimal permissions per job, actions pinned by commit, no
`${{ … }}` inside a script, no credentials left in a checkout, no `pull_request_target`, the
privileged jobs on base-branch code only; then zizmor and GitHub's schemas, as real processes.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gatebot import __version__
from gatebot.core import workflows
from gatebot.core.workflows import PINNED_ACTIONS, WorkflowOptions

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USER = WorkflowOptions(requirement=f"gatebot=={__version__}", version=__version__)
SELF = WorkflowOptions(requirement=f"gatebot=={__version__}", version=__version__,
                       self_hosted=True)
OWN_FILES = sorted((ROOT / ".github" / "workflows").glob("*.yml"))

#: what each job may hold, at most (a scope not named is `none`)
PRIVILEGED = {"actions", "checks", "contents", "issues", "pull-requests", "statuses"}
READ_ONLY_TRIGGERS = {"pull_request", "push"}
#: the events whose runs execute the change's code: their jobs hold read access at most
UNTRUSTED_CODE = {"gatebot-pr", "gatebot-staging", "ci"}


def parse(text: str) -> dict[str, Any]:
    data = YAML(typ="safe", pure=True).load(io.StringIO(text))
    assert isinstance(data, dict)
    return data


def all_workflows() -> list[tuple[str, dict[str, Any]]]:
    found = [(f"user:{name}", parse(text)) for name, text in workflows.render_all(USER).items()]
    found += [(f"self:{name}", parse(text)) for name, text in workflows.render_all(SELF).items()]
    found += [(f"own:{path.name}", parse(path.read_text(encoding="utf-8"))) for path in OWN_FILES]
    return found


WORKFLOWS = all_workflows()
IDS = [name for name, _ in WORKFLOWS]


def steps_of(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_six_workflows_and_ci_are_here() -> None:
    names = {path.name for path in OWN_FILES}
    assert names == {"ci.yml", *workflows.WORKFLOW_FILES}
    triggers = {parse(workflows.render(name, USER))["name"]: set(parse(
        workflows.render(name, USER))["on"]) for name in workflows.WORKFLOW_FILES}
    assert triggers == {
        "gatebot-pr": {"pull_request"},
        "gatebot-publish": {"workflow_run"},
        "gatebot-review": {"pull_request_review"},
        "gatebot-issues": {"issues", "issue_comment"},
        "gatebot-staging": {"workflow_dispatch"},
        "gatebot-sweep": {"schedule", "workflow_dispatch"},
    }
    sweep = parse(workflows.render("gatebot-sweep.yml", USER))
    assert sweep["on"]["schedule"] == [{"cron": "*/15 * * * *"}, {"cron": "23 6 * * 1"}]


def test_the_weekly_audit_posts_to_its_issue_and_keeps_the_page() -> None:
    """Mondays' schedule runs the audit job instead of the sweep: one issue, one artifact."""
    sweep = parse(workflows.render("gatebot-sweep.yml", USER))
    weekly = "github.event.schedule == '23 6 * * 1'"
    assert sweep["jobs"]["audit"]["if"] == weekly
    assert sweep["jobs"]["sweep"]["if"] == weekly.replace("==", "!=")
    assert sweep["jobs"]["audit"]["permissions"] == {"contents": "read", "issues": "write",
                                                     "pull-requests": "read"}
    audit, upload = sweep["jobs"]["audit"]["steps"][-2:]
    assert audit["run"].split() == ["gatebot", "audit", "--forge", "github", "--since", "7d",
                                    "--format", "html", "--output", '"$GATEBOT_AUDIT_PAGE"',
                                    "--publish-issue"]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == audit["env"]["GATEBOT_AUDIT_PAGE"]


def test_this_repository_runs_the_self_hosted_rendering_of_the_templates() -> None:
    """`gatebot init --github` in this repository would change nothing."""
    for path, text in workflows.render_all(SELF).items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, f"{path}: re-render it"


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_no_pull_request_target_and_no_default_permissions(name: str,
                                                           workflow: dict[str, Any]) -> None:
    assert "pull_request_target" not in workflow["on"]
    # the workflow grants nothing; each job names what it needs
    assert workflow.get("permissions") in ({}, {"contents": "read"}), name
    for job_id, job in workflow["jobs"].items():
        permissions = job.get("permissions", workflow.get("permissions"))
        assert isinstance(permissions, dict), f"{name} {job_id}: permissions must be a map"
        assert set(permissions) <= PRIVILEGED, f"{name} {job_id}: {sorted(permissions)}"
        assert set(permissions.values()) <= {"read", "write"}


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_jobs_that_run_the_changes_code_hold_no_write_token(name: str,
                                                           workflow: dict[str, Any]) -> None:
    if workflow["name"] not in UNTRUSTED_CODE:
        return
    for job_id, job in workflow["jobs"].items():
        permissions = job.get("permissions", workflow.get("permissions"))
        assert permissions == {"contents": "read"}, f"{name} {job_id}: {permissions}"
        text = repr(job)
        assert "secrets." not in text and "github.token" not in text, f"{name} {job_id}"


def runs_change_code(job: dict[str, Any], base: str = "main") -> bool:
    """Whether a job runs code the change wrote, judged from its steps as parsed.

    It does when it checks out anything but the base branch: the pull request's head, a
    staging SHA, or no ``ref`` at all (on ``pull_request``, the merge of the change).
    """
    return any(step.get("with", {}).get("ref") != base for step in job.get("steps", [])
               if step.get("uses", "").startswith("actions/checkout@"))


def holds_write(job: dict[str, Any]) -> bool:
    """Whether the job's token may write anything (a job with no permissions holds none)."""
    return "write" in (job.get("permissions") or {}).values()


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_every_job_running_the_changes_code_holds_no_write_and_no_secret(
        name: str, workflow: dict[str, Any]) -> None:
    """A fork's pull request: whatever job runs its code can write nothing and read no secret.

    Found from the steps (what each job checks out), not from the workflow's name; the
    workflow-level ``env`` and ``permissions`` count too, since every job inherits them.
    """
    assert workflow.get("permissions") in ({}, {"contents": "read"}), name
    assert "secrets." not in repr(workflow.get("env", {})), name
    running = [job_id for job_id, job in workflow["jobs"].items() if runs_change_code(job)]
    if workflow["name"] in UNTRUSTED_CODE:
        assert running, f"{name}: a workflow that runs the change checks it out"
    for job_id in running:
        job = workflow["jobs"][job_id]
        permissions = job.get("permissions", workflow.get("permissions"))
        assert set((permissions or {}).values()) <= {"read"}, f"{name} {job_id}: {permissions}"
        text = repr(job)
        for secret in ("secrets.", "github.token", "GITHUB_TOKEN", "secrets: inherit"):
            assert secret not in text, f"{name} {job_id}: {secret}"
        assert job.get("secrets") is None, f"{name} {job_id}"


def test_the_jobs_are_told_apart_from_their_steps() -> None:
    """The two tests above are not vacuous: each kind of job is recognised from its steps."""
    jobs = {name: parse(workflows.render(name, USER))["jobs"] for name in workflows.WORKFLOW_FILES}
    assert runs_change_code(jobs["gatebot-pr.yml"]["gate-1"])
    assert runs_change_code(jobs["gatebot-staging.yml"]["checks"])
    assert not holds_write(jobs["gatebot-pr.yml"]["gate-1"])
    for name, job_id in (("gatebot-publish.yml", "publish"), ("gatebot-publish.yml", "land"),
                         ("gatebot-publish.yml", "review"), ("gatebot-issues.yml", "gate"),
                         ("gatebot-sweep.yml", "sweep")):
        assert holds_write(jobs[name][job_id]) and not runs_change_code(jobs[name][job_id])
    merge_ref = {"steps": [{"uses": "actions/checkout@x", "with": {}}]}
    assert runs_change_code(merge_ref)  # no ref on pull_request: the change's merge commit


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_privileged_jobs_never_fetch_or_install_the_change(name: str,
                                                           workflow: dict[str, Any]) -> None:
    """A job holding a write token checks out the base only, fetches no pull request ref,
    installs gatebot from the base (``.``) or a pinned release, and reads an artifact only
    after that install, into the runner's temporary directory (outside the checkout)."""
    for job_id, job in workflow["jobs"].items():
        if not holds_write(job):
            continue
        assert not runs_change_code(job), f"{name} {job_id}"
        steps = job["steps"]
        for step in steps:
            script = step.get("run", "")
            for bad in ("refs/pull", "pull/", "head.sha", "head_sha", "git checkout",
                        "git switch", "git fetch", "git worktree", "git pull"):
                assert bad not in script, f"{name} {job_id}: {step.get('name')}: {bad}"
        installs = [i for i, s in enumerate(steps) if "pip install" in s.get("run", "")]
        for i in installs:
            target = steps[i]["run"].split("pip install", 1)[1].split()
            if target == ['"$GATEBOT_REQUIREMENT"']:
                target = [steps[i]["env"]["GATEBOT_REQUIREMENT"]]
            assert target in (["."], [f"gatebot=={__version__}"]), f"{name} {job_id}: {target}"
        for i, step in enumerate(steps):
            if "download-artifact" in step.get("uses", ""):
                assert installs and i > max(installs), f"{name} {job_id}: download before install"
                assert step["with"]["path"].startswith("${{ runner.temp }}"), name


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_privileged_jobs_check_out_the_base_branch_only(name: str,
                                                        workflow: dict[str, Any]) -> None:
    for job_id, job in workflow["jobs"].items():
        permissions = job.get("permissions", {})
        if "write" not in permissions.values():
            continue
        checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
        assert checkouts, f"{name} {job_id}"
        for step in checkouts:
            assert step["with"]["ref"] == "main", f"{name} {job_id}: {step['with']}"
        assert "gatebot-landing" in repr(job.get("concurrency")) or job_id == "publish"
        if "gatebot-landing" in repr(job.get("concurrency")):
            assert job["concurrency"]["cancel-in-progress"] is False


#: the events whose runs take the workflow file from the pull request (its merge ref): the
#: change decides what such a job does, so it may hold nothing worth stealing
PULL_REQUEST_EVENTS = {"pull_request", "pull_request_review", "pull_request_review_comment"}
#: the events GitHub runs with the default branch's workflow file, on the default branch
BASE_BRANCH_EVENTS = {"workflow_run", "schedule", "workflow_dispatch", "issues", "issue_comment"}


def triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def privileged(job: dict[str, Any]) -> bool:
    """Whether a job holds anything worth stealing: a write scope, an environment, a secret."""
    return holds_write(job) or "environment" in job or "secrets." in repr(job)


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_jobs_a_pull_request_starts_hold_no_write_no_secret_and_no_environment(
        name: str, workflow: dict[str, Any]) -> None:
    """On ``pull_request`` and ``pull_request_review`` GitHub runs the change's own version of
    the workflow file: whatever such a job holds, the change can use. So none holds a write
    scope, a secret, the Actions token in its steps, or gatebot's environment."""
    if not triggers(workflow) & PULL_REQUEST_EVENTS:
        return
    for job_id, job in workflow["jobs"].items():
        permissions = job.get("permissions", workflow.get("permissions"))
        assert set((permissions or {}).values()) <= {"read"}, f"{name} {job_id}: {permissions}"
        assert "environment" not in job, f"{name} {job_id}"
        text = repr(job)
        for secret in ("secrets.", "github.token", "GITHUB_TOKEN", "secrets: inherit"):
            assert secret not in text, f"{name} {job_id}: {secret}"


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_every_privileged_job_names_the_environment_and_runs_base_branch_code(
        name: str, workflow: dict[str, Any]) -> None:
    """gatebot's App key lives in the environment ``gatebot``, which admits the base branch
    only: every job holding a write scope names it, runs only on events whose workflow file is
    the default branch's, and never checks out the change."""
    jobs = {job_id: job for job_id, job in workflow["jobs"].items() if privileged(job)}
    if jobs:
        assert triggers(workflow) <= BASE_BRANCH_EVENTS, f"{name}: {sorted(triggers(workflow))}"
    for job_id, job in jobs.items():
        assert job.get("environment") == workflows.ENVIRONMENT, f"{name} {job_id}"
        assert not runs_change_code(job), f"{name} {job_id}"


#: what every gatebot step of a privileged job is given: the job's token, and gatebot's App
#: (used instead when the environment holds its key)
CREDENTIALS = {"GITHUB_TOKEN": "${{ github.token }}",
               "GATEBOT_GITHUB_APP_ID": "${{ vars.GATEBOT_GITHUB_APP_ID }}",
               "GATEBOT_GITHUB_APP_KEY": "${{ secrets.GATEBOT_GITHUB_APP_KEY }}",
               "GATEBOT_GITHUB_BOT_LOGIN": "${{ vars.GATEBOT_GITHUB_BOT_LOGIN }}"}


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_the_apps_key_reaches_gatebot_only_in_jobs_of_the_environment(
        name: str, workflow: dict[str, Any]) -> None:
    """Every step that runs gatebot with a token in a job naming the environment gets the App
    credentials from it; no job outside the environment mentions them."""
    for job_id, job in workflow["jobs"].items():
        acting = [s for s in job.get("steps", []) if "GITHUB_TOKEN" in s.get("env", {})]
        if job.get("environment") != workflows.ENVIRONMENT:
            assert "GATEBOT_GITHUB_APP" not in repr(job), f"{name} {job_id}"
            continue
        assert acting, f"{name} {job_id}: gatebot never acts here"
        for step in acting:
            assert "gatebot " in step["run"], f"{name} {job_id}: {step.get('name')}"
            given = {k: v for k, v in step["env"].items() if k in CREDENTIALS}
            assert given == CREDENTIALS, f"{name} {job_id}: {step.get('name')}"


@pytest.mark.parametrize(("login", "app"), [("", "github-actions"),
                                            ("gatebot-acme[bot]", "gatebot-acme"),
                                            ("$(touch pwned)", "$(touch pwned)")])
def test_the_landing_counts_the_check_runs_of_the_app_it_acts_as(
        tmp_path: Path, login: str, app: str) -> None:
    """`gatebot land` records the staging check run as whoever it acts as: with the App its
    slug (the bot login without `[bot]`), else GitHub Actions'. The login stays one word."""
    land = parse(workflows.render("gatebot-publish.yml", USER))["jobs"]["land"]["steps"][-1]
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gatebot").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    (fake / "gatebot").chmod(0o755)
    done = subprocess.run(["bash", "-e", "-c", land["run"]], cwd=tmp_path, check=False,
                          env={"PATH": f"{fake}:/usr/bin:/bin", "GITHUB_EVENT_PATH": "ev.json",
                               "GATEBOT_GITHUB_BOT_LOGIN": login},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["land", "--workflow-run", "ev.json", "--checks-app", app]
    assert not (tmp_path / "pwned").exists()


def test_the_review_hop_carries_nothing_but_the_event() -> None:
    """gatebot-review.yml only finishes (no token scope, no action, no artifact); the review
    job of gatebot-publish.yml reads no artifact and acts on the ``workflow_run`` GitHub sent."""
    for options in (USER, SELF):
        review = parse(workflows.render("gatebot-review.yml", options))
        assert review["on"] == {"pull_request_review": {"types": ["submitted", "dismissed"]}}
        [job] = review["jobs"].values()
        assert job["permissions"] == {}
        assert [step["run"].split()[0] for step in job["steps"]] == ["echo"]
        assert all("uses" not in step for step in job["steps"])
        hop = parse(workflows.render("gatebot-publish.yml", options))["jobs"]["review"]
        assert hop["if"] == ("github.event.workflow_run.name == 'gatebot-review' && "
                             "github.event.workflow_run.event == 'pull_request_review'")
        assert not [s for s in hop["steps"] if "artifact" in s.get("uses", "")]
        act = hop["steps"][-1]
        assert act["run"] == 'gatebot gate --event "$GITHUB_EVENT_PATH"'
        assert act["env"] == CREDENTIALS
        assert hop["concurrency"] == {"group": "gatebot-landing", "cancel-in-progress": False}


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_every_action_is_pinned_by_commit(name: str, workflow: dict[str, Any]) -> None:
    for step in steps_of(workflow):
        if "uses" not in step:
            continue
        action, _, ref = step["uses"].partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name}: {step['uses']}"
        assert PINNED_ACTIONS[action][0] == ref, f"{name}: {action} is not at the pinned commit"


def test_every_uses_line_names_its_tag_beside_the_commit() -> None:
    texts = [*(p.read_text(encoding="utf-8") for p in OWN_FILES),
             (ROOT / "action.yml").read_text(encoding="utf-8"),
             *workflows.render_all(USER).values()]
    lines = [line.strip() for text in texts for line in text.splitlines()
             if line.strip().startswith("- uses:")]
    assert lines
    for line in lines:
        action, commit, tag = re.fullmatch(r"- uses: ([\w/-]+)@([0-9a-f]{40}) # (v[\d.]+)",
                                           line).groups()  # type: ignore[union-attr]
        assert PINNED_ACTIONS[action] == (commit, tag)


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_no_expression_inside_a_script(name: str, workflow: dict[str, Any]) -> None:
    for step in steps_of(workflow):
        assert "${{" not in step.get("run", ""), f"{name}: {step.get('name')}: pass it in env:"


@pytest.mark.parametrize(("name", "workflow"), WORKFLOWS, ids=IDS)
def test_checkouts_keep_no_credentials(name: str, workflow: dict[str, Any]) -> None:
    for step in steps_of(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, name


def test_the_artifact_flows_from_the_read_only_job_to_the_privileged_one() -> None:
    pr = parse(workflows.render("gatebot-pr.yml", USER))
    publish = parse(workflows.render("gatebot-publish.yml", USER))
    upload = [s for s in steps_of(pr) if "upload-artifact" in s.get("uses", "")]
    download = [s for s in publish["jobs"]["publish"]["steps"]
                if "download-artifact" in s.get("uses", "")]
    assert upload[0]["with"]["name"] == download[0]["with"]["name"] == "gatebot-verdict"
    assert download[0]["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert publish["on"]["workflow_run"]["workflows"] == ["gatebot-pr", "gatebot-review",
                                                          "gatebot-staging"]
    assert publish["jobs"]["publish"]["permissions"]["contents"] == "read"


def test_the_staging_workflow_refuses_anything_but_a_sha(tmp_path: Path) -> None:
    staging = parse(workflows.render("gatebot-staging.yml", USER))
    guard = staging["jobs"]["checks"]["steps"][0]
    for value, code in (("a" * 40, 0), ("$(touch pwned)", 2), ("main", 2), ("A" * 40, 2)):
        done = subprocess.run(["bash", "-e", "-c", guard["run"]], cwd=tmp_path, check=False,
                              env={"STAGING_SHA": value, "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True)
        assert done.returncode == code, value
    assert not (tmp_path / "pwned").exists()


def test_action_yml_is_a_composite_action_with_the_documented_interface() -> None:
    action = parse((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"github-token", "command", "format", "python-version",
                                     "gatebot-version", "cache"}
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) == {"verdict", "report-path"}
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")
    setup = action["runs"]["steps"][0]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["cache"] == "${{ inputs.cache }}"


def test_action_run_step_splits_words_without_a_shell(tmp_path: Path) -> None:
    """The command input is words, never shell code: `$(…)`, backticks and `;` stay text."""
    action = parse((ROOT / "action.yml").read_text(encoding="utf-8"))
    script = next(s for s in action["runs"]["steps"] if s.get("id") == "run")["run"]
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gatebot").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\nexit 1\n')
    (fake / "gatebot").chmod(0o755)
    output = tmp_path / "out"
    env = {"PATH": f"{fake}:/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_OUTPUT": str(output), "GATEBOT_COMMAND": "review $(touch pwned) `id` ; *",
           "GATEBOT_FORMAT": "json"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, check=False,
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["review", "$(touch", "pwned)", "`id`", ";", "*",
                                        "--format", "json"]
    assert not (tmp_path / "pwned").exists()
    assert output.read_text().splitlines() == ["verdict=fail",
                                               f"report-path={tmp_path}/gatebot-report"]


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                          check=False, timeout=300)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("rendered") / ".github" / "workflows"
    out.mkdir(parents=True)
    for path, text in workflows.render_all(USER).items():
        (out / Path(path).name).write_text(text, encoding="utf-8")
    return sorted(str(p) for p in out.glob("*.yml"))


def test_zizmor_finds_nothing(rendered: list[str]) -> None:
    done = run_tool("zizmor", "--offline", "--no-progress", *map(str, OWN_FILES), *rendered,
                    str(ROOT / "action.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def test_zizmor_would_catch_an_expression_in_a_script(tmp_path: Path) -> None:
    """The audit is live: a script splicing the PR title is a finding."""
    text = workflows.render("gatebot-pr.yml", USER).replace(
        'echo "gatebot review exited $code"',
        'echo "${{ github.event.pull_request.title }}"')
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(text)
    done = run_tool("zizmor", "--offline", "--no-progress", str(bad))
    assert done.returncode != 0
    assert "template-injection" in done.stdout


def test_github_schemas_accept_every_workflow_and_the_action(rendered: list[str]) -> None:
    done = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows",
                    *map(str, OWN_FILES), *rendered)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-actions",
                    str(ROOT / "action.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_base_branch_name_with_metacharacters_stays_data() -> None:
    """The configured base reaches YAML quoted, in `with:`/`env:` only, never a script."""
    base = 'rel"ease/$(touch pwned);`id`: #x'
    for name in workflows.WORKFLOW_FILES:
        workflow = parse(workflows.render(name, WorkflowOptions(base=base)))
        for step in steps_of(workflow):
            assert base not in step.get("run", ""), name
            if step.get("uses", "").startswith("actions/checkout@") and name != "gatebot-pr.yml":
                assert step["with"]["ref"] in (base, "${{ inputs.sha }}"), name
        assert base in repr(workflow) or name in ("gatebot-pr.yml", "gatebot-review.yml")


def test_the_staging_run_shares_no_cache() -> None:
    """Its cache scope is the base branch's: a change's code could poison what others restore."""
    for options in (USER, SELF):
        staging = parse(workflows.render("gatebot-staging.yml", options))
        for step in steps_of(staging):
            assert "cache" not in step.get("with", {}), step
    pr = parse(workflows.render("gatebot-pr.yml", USER))  # scoped to the pull request's ref
    assert any(step.get("with", {}).get("cache") == "pip" for step in steps_of(pr))
