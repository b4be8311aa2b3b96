"""GitHub's JSON shapes for the fake's state (field names and nullability as in GitHub's OpenAPI).

Every function returns plain JSON-able data; the server validates each response against the
description, so a shape that drifts from GitHub's fails the test that produced it.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from tests.fakegithub.gitrepo import Commit
from tests.fakegithub.state import (
    Annotation,
    CheckRun,
    Comment,
    Event,
    Issue,
    Label,
    Review,
    State,
    Status,
    User,
)

Json = dict[str, Any]

_REPO_URLS = (
    ("archive_url", "/{archive_format}{/ref}"), ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"), ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("comments_url", "/comments{/number}"), ("commits_url", "/commits{/sha}"),
    ("compare_url", "/compare/{base}...{head}"), ("contents_url", "/contents/{+path}"),
    ("contributors_url", "/contributors"), ("deployments_url", "/deployments"),
    ("downloads_url", "/downloads"), ("events_url", "/events"), ("forks_url", "/forks"),
    ("git_commits_url", "/git/commits{/sha}"), ("git_refs_url", "/git/refs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"), ("hooks_url", "/hooks"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("issue_events_url", "/issues/events{/number}"), ("issues_url", "/issues{/number}"),
    ("keys_url", "/keys{/key_id}"), ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"), ("merges_url", "/merges"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("pulls_url", "/pulls{/number}"), ("releases_url", "/releases{/id}"),
    ("stargazers_url", "/stargazers"), ("statuses_url", "/statuses/{sha}"),
    ("subscribers_url", "/subscribers"), ("subscription_url", "/subscription"),
    ("tags_url", "/tags"), ("teams_url", "/teams"), ("trees_url", "/git/trees{/sha}"),
)


def iso(when: datetime | None) -> str | None:
    """GitHub's timestamp form: ``2026-01-02T03:04:05Z`` (``None`` stays ``None``)."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def node_id(kind: str, ident: int | str) -> str:
    """An opaque global node id, stable for ``(kind, ident)``."""
    return base64.b64encode(f"{kind}:{ident}".encode()).decode().rstrip("=")


class Renderer:
    """Renders state objects for an API at ``api`` (the server's base URL, no trailing slash)."""

    def __init__(self, state: State, api: str) -> None:
        self.state = state
        self.api = api
        self.repo_api = f"{api}/repos/{state.owner_login}/{state.name}"
        self.repo_html = f"{api}/{state.owner_login}/{state.name}"

    def user(self, user: User) -> Json:
        """A ``simple-user``."""
        base, login = f"{self.api}/users/{user.login}", user.login
        return {
            "login": login, "id": user.id, "node_id": node_id("U", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "", "url": base, "html_url": f"{self.api}/{login}",
            "followers_url": f"{base}/followers", "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}", "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions", "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos", "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events", "type": user.type,
            "user_view_type": "public", "site_admin": False,
        }

    def uid(self, user_id: int | None) -> Json | None:
        """The ``simple-user`` of an id, or ``None``."""
        return None if user_id is None else self.user(self.state.users[user_id])

    def public_user(self, user: User, *, private: bool = False) -> Json:
        """A ``public-user`` (``private-user`` for the authenticated account when ``private``)."""
        data = self.user(user) | {
            "name": user.name, "company": None, "blog": "", "location": None,
            "email": user.email, "hireable": None, "bio": None, "twitter_username": None,
            "public_repos": 1, "public_gists": 0, "followers": 0, "following": 0,
            "created_at": iso(user.created_at), "updated_at": iso(user.created_at),
        }
        if private:
            data |= {"private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0,
                     "disk_usage": 0, "collaborators": 0, "two_factor_authentication": True,
                     "user_view_type": "private"}
        return data

    def repository(self) -> Json:
        """The ``full-repository`` (one public repository owned by its owner account)."""
        st = self.state
        owner = st.user_by_login(st.owner_login)
        assert owner is not None, "the repository owner is an account"
        open_count = sum(1 for i in st.issues.values() if i.state == "open")
        when = iso(st.created_at)
        data: Json = {
            "id": st.repo_id, "node_id": node_id("R", st.repo_id), "name": st.name,
            "full_name": f"{st.owner_login}/{st.name}", "private": False,
            "owner": self.user(owner), "html_url": self.repo_html, "description": None,
            "fork": False, "url": self.repo_api,
            **{key: self.repo_api + suffix for key, suffix in _REPO_URLS},
            "git_url": f"git://fake/{st.owner_login}/{st.name}.git",
            "ssh_url": f"git@fake:{st.owner_login}/{st.name}.git",
            "clone_url": f"{self.repo_html}.git", "svn_url": self.repo_html,
            "mirror_url": None, "homepage": None, "language": "Python", "size": 1,
            "forks_count": 0, "forks": 0, "stargazers_count": 0, "watchers_count": 0,
            "watchers": 0, "open_issues_count": open_count, "open_issues": open_count,
            "default_branch": st.default_branch, "has_issues": True, "has_projects": False,
            "has_wiki": False, "has_pages": False, "has_downloads": False,
            "has_discussions": False, "archived": False, "disabled": False,
            "visibility": "public", "license": None, "topics": [], "is_template": False,
            "pushed_at": when, "created_at": when, "updated_at": when,
            "allow_forking": True, "web_commit_signoff_required": False,
            "network_count": 0, "subscribers_count": 0,
        }
        return data

    def label(self, label: Label) -> Json:
        """A ``label``."""
        return {
            "id": label.id, "node_id": node_id("LA", label.id),
            "url": f"{self.repo_api}/labels/{label.name}", "name": label.name,
            "color": label.color, "description": label.description, "default": False,
        }

    def issue(self, issue: Issue) -> Json:
        """An ``issue`` (with its ``pull_request`` link when it is a pull request)."""
        url = f"{self.repo_api}/issues/{issue.number}"
        kind = "pull" if issue.pull else "issues"
        assignees = [self.user(self.state.users[a]) for a in issue.assignees]
        data: Json = {
            "id": issue.id, "node_id": node_id("I", issue.id), "url": url,
            "repository_url": self.repo_api, "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments", "events_url": f"{url}/events",
            "html_url": f"{self.repo_html}/{kind}/{issue.number}", "number": issue.number,
            "state": issue.state, "state_reason": issue.state_reason, "title": issue.title,
            "body": issue.body, "user": self.uid(issue.user),
            "labels": [self.label(self.state.labels[n]) for n in issue.labels],
            "assignee": assignees[0] if assignees else None, "assignees": assignees,
            "milestone": None, "locked": False, "active_lock_reason": None,
            "comments": sum(1 for c in self.state.comments.values() if c.issue == issue.number),
            "closed_at": iso(issue.closed_at), "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at), "author_association": "CONTRIBUTOR",
        }
        if issue.pull:
            pulls = f"{self.repo_api}/pulls/{issue.number}"
            data["pull_request"] = {
                "url": pulls, "html_url": data["html_url"], "diff_url": f"{pulls}.diff",
                "patch_url": f"{pulls}.patch", "merged_at": iso(issue.pull.merged_at),
            }
            data["draft"] = issue.pull.draft
        return data

    def comment(self, comment: Comment) -> Json:
        """An ``issue-comment``."""
        return {
            "id": comment.id, "node_id": node_id("IC", comment.id),
            "url": f"{self.repo_api}/issues/comments/{comment.id}",
            "html_url": f"{self.repo_html}/issues/{comment.issue}#issuecomment-{comment.id}",
            "issue_url": f"{self.repo_api}/issues/{comment.issue}", "body": comment.body,
            "user": self.uid(comment.user), "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at), "author_association": "CONTRIBUTOR",
        }

    def event(self, event: Event) -> Json:
        """One of ``labeled``/``unlabeled``/``assigned``/``unassigned-issue-event``."""
        data: Json = {
            "id": event.id, "node_id": node_id("E", event.id),
            "url": f"{self.repo_api}/issues/events/{event.id}",
            "actor": self.uid(event.actor), "event": event.event, "commit_id": None,
            "commit_url": None, "created_at": iso(event.created_at),
            "performed_via_github_app": None,
        }
        if event.label is not None:
            label = self.state.label(event.label)
            data["label"] = {"name": event.label, "color": label.color if label else "ededed"}
        if event.assignee is not None:
            data["assignee"] = self.uid(event.assignee)
            data["assigner"] = self.uid(event.actor)
        return data

    def ref(self, name: str, sha: str) -> Json:
        """A ``git-ref`` for the full ref ``name`` at commit ``sha``."""
        return {
            "ref": name, "node_id": node_id("REF", name),
            "url": f"{self.repo_api}/git/{name}",
            "object": {"type": "commit", "sha": sha,
                       "url": f"{self.repo_api}/git/commits/{sha}"},
        }

    def commit(self, commit: Commit) -> Json:
        """A ``commit``: GitHub links author and committer to accounts by email, else null."""
        def person(p: Any) -> Json:
            return {"name": p.name, "email": p.email, "date": iso(p.date)}

        def account(email: str) -> Json:
            # the description has ``{}`` (empty-object), not null, for an unlinked email
            user = self.state.user_by_email(email)
            return self.user(user) if user else {}

        url = f"{self.repo_api}/commits/{commit.sha}"
        return {
            "sha": commit.sha, "node_id": node_id("C", commit.sha), "url": url,
            "html_url": f"{self.repo_html}/commit/{commit.sha}",
            "comments_url": f"{url}/comments",
            "commit": {
                "url": f"{self.repo_api}/git/commits/{commit.sha}",
                "author": person(commit.author), "committer": person(commit.committer),
                "message": commit.message, "comment_count": 0,
                "tree": {"sha": commit.tree, "url": f"{self.repo_api}/git/trees/{commit.tree}"},
            },
            "author": account(commit.author.email), "committer": account(commit.committer.email),
            "parents": [{"sha": p, "url": f"{self.repo_api}/commits/{p}",
                         "html_url": f"{self.repo_html}/commit/{p}"} for p in commit.parents],
        }

    def review(self, review: Review) -> Json:
        """A ``pull-request-review``."""
        pr_url = f"{self.repo_api}/pulls/{review.pull}"
        html = f"{self.repo_html}/pull/{review.pull}#pullrequestreview-{review.id}"
        data: Json = {
            "id": review.id, "node_id": node_id("PRR", review.id),
            "user": self.uid(review.user), "body": review.body, "state": review.state,
            "html_url": html, "pull_request_url": pr_url, "commit_id": review.commit_id,
            "author_association": "CONTRIBUTOR",
            "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
        }
        if review.submitted_at:
            data["submitted_at"] = iso(review.submitted_at)
        return data

    def app(self, bot: User) -> Json:
        """The GitHub App (``integration``) behind a bot account."""
        slug = bot.login.removesuffix("[bot]")
        owner = self.state.user_by_login(self.state.owner_login)
        return {
            "id": bot.app_id, "slug": slug, "node_id": node_id("A", bot.app_id or 0),
            "owner": self.uid(owner.id if owner else None), "name": slug, "description": None,
            "external_url": f"https://{slug}.example", "html_url": f"{self.api}/apps/{slug}",
            "created_at": iso(bot.created_at), "updated_at": iso(bot.created_at),
            "permissions": {"checks": "write", "issues": "write", "pull_requests": "write",
                            "statuses": "write", "contents": "write"},
            "events": ["pull_request", "pull_request_review", "issues", "issue_comment"],
        }

    def check_run(self, run: CheckRun) -> Json:
        """A ``check-run`` (``output.annotations_count`` counts every batch so far)."""
        url = f"{self.repo_api}/check-runs/{run.id}"
        bot = self.state.users[run.app_user]
        return {
            "id": run.id, "head_sha": run.head_sha, "node_id": node_id("CR", run.id),
            "external_id": run.external_id, "url": url,
            "html_url": f"{self.repo_html}/runs/{run.id}", "details_url": run.details_url,
            "status": run.status, "conclusion": run.conclusion,
            "started_at": iso(run.started_at), "completed_at": iso(run.completed_at),
            "output": {"title": run.title, "summary": run.summary, "text": run.text,
                       "annotations_count": len(run.annotations),
                       "annotations_url": f"{url}/annotations"},
            "name": run.name, "check_suite": {"id": run.id + 1},
            "app": self.app(bot), "pull_requests": self._pulls_at(run.head_sha),
        }

    def _pulls_at(self, sha: str) -> list[Json]:
        """The minimal pull request references whose head is ``sha`` (as check runs list)."""
        found = []
        for issue in self.state.issues.values():
            pull = issue.pull
            if pull and issue.state == "open" and self.state.head_sha(pull) == sha:
                def side(branch: str, tip: str) -> Json:
                    return {"ref": branch, "sha": tip, "repo": {
                        "id": self.state.repo_id, "url": self.repo_api, "name": self.state.name}}
                found.append({"id": issue.id, "number": issue.number,
                              "url": f"{self.repo_api}/pulls/{issue.number}",
                              "head": side(pull.head, sha),
                              "base": side(pull.base, self.state.base_sha(pull))})
        return found

    def annotation(self, run: CheckRun, note: Annotation) -> Json:
        """A ``check-annotation``."""
        return {
            "path": note.path, "start_line": note.start_line, "end_line": note.end_line,
            "start_column": note.start_column, "end_column": note.end_column,
            "annotation_level": note.annotation_level, "title": note.title,
            "message": note.message, "raw_details": note.raw_details,
            "blob_href": f"{self.repo_html}/blob/{run.head_sha}/{note.path}",
        }

    def status(self, status: Status) -> Json:
        """A ``status`` (the shape of the create response and of the statuses list)."""
        return {
            "url": f"{self.repo_api}/statuses/{status.sha}",
            "avatar_url": None, "id": status.id, "node_id": node_id("SC", status.id),
            "state": status.state, "description": status.description,
            "target_url": status.target_url, "context": status.context,
            "created_at": iso(status.created_at), "updated_at": iso(status.updated_at),
            "creator": self.uid(status.creator),
        }

    def pull(self, issue: Issue, *, simple: bool = False) -> Json:
        """A ``pull-request`` (``pull-request-simple`` for lists when ``simple``)."""
        st, pull = self.state, issue.pull
        assert pull is not None, "only a pull request renders as one"
        head_sha, base_sha = st.head_sha(pull), st.base_sha(pull)
        url = f"{self.repo_api}/pulls/{issue.number}"
        base = self.issue(issue)
        data: Json = {k: base[k] for k in (
            "id", "number", "state", "locked", "title", "user", "body", "labels", "assignee",
            "assignees", "milestone", "active_lock_reason", "created_at", "updated_at",
            "closed_at", "author_association", "draft")}
        links = {"self": url, "html": base["html_url"], "issue": base["url"],
                 "comments": base["comments_url"], "review_comments": f"{url}/comments",
                 "review_comment": f"{self.repo_api}/pulls/comments{{/number}}",
                 "commits": f"{url}/commits", "statuses": f"{self.repo_api}/statuses/{head_sha}"}
        data |= {
            "url": url, "node_id": node_id("PR", issue.id), "html_url": base["html_url"],
            "diff_url": f"{url}.diff", "patch_url": f"{url}.patch", "issue_url": base["url"],
            "commits_url": links["commits"], "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"], "comments_url": links["comments"],
            "statuses_url": links["statuses"], "merged_at": iso(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha, "requested_reviewers": [],
            "requested_teams": [], "auto_merge": None,
            "head": self._side(pull.head, head_sha, pull.fork),
            "base": self._side(pull.base, base_sha),
            "_links": {k: {"href": v} for k, v in links.items()},
        }
        if simple:
            return data
        known = "0" * 40 not in (head_sha, base_sha)
        commits = len(st.git.commits_between(base_sha, head_sha)) if known else 0
        adds, dels, files = st.git.diff_stats(base_sha, head_sha) if known else (0, 0, 0)
        return data | {
            "merged": pull.merged, "mergeable": None, "rebaseable": None,
            "mergeable_state": "unknown", "merged_by": self.uid(pull.merged_by),
            "comments": base["comments"], "review_comments": 0,
            "maintainer_can_modify": False, "commits": commits, "additions": adds,
            "deletions": dels, "changed_files": files,
        }

    def _side(self, branch: str, sha: str, fork: str | None = None) -> Json:
        """A pull request's ``head`` or ``base``: branch, SHA, owner and repository.

        ``fork``: the login owning the fork the head is in (its repository: the fork's).
        """
        login = fork or self.state.owner_login
        owner = self.state.user_by_login(login)
        repo = self.repository()
        if fork and owner is not None:
            repo |= {"full_name": f"{fork}/{self.state.name}", "fork": True,
                     "owner": self.user(owner), "id": self.state.repo_id + owner.id}
        return {"label": f"{login}:{branch}", "ref": branch, "sha": sha,
                "user": self.uid(owner.id if owner else None), "repo": repo}
