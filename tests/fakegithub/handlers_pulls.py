"""Fake GitHub handlers: pull requests, their commits and reviews, and git refs and commits.

Branches, SHAs and commits are read from the bare repository on every request; a ref PATCH
writes the bare repository with git's compare-and-swap, so git and the API never disagree.
"""

from __future__ import annotations

from tests.fakegithub.routing import ApiError, Ctx, Page, R, Reply, invalid, not_found, route
from tests.fakegithub.state import Issue, PullRequest, Review

REVIEW_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED",
                 "COMMENT": "COMMENTED"}


def pull_of(ctx: Ctx, number: int) -> Issue:
    """The pull request ``number`` (its issue), brought up to date with git; else 404."""
    issue = ctx.state.issues.get(number)
    if issue is None or issue.pull is None:
        raise not_found()
    ctx.state.sync_merged(issue)
    return issue


def _branch(raw: object, owner: str) -> str:
    """A branch name from ``head``/``base`` (``owner:branch`` or ``branch``)."""
    name = str(raw or "")
    prefix, _, rest = name.partition(":")
    return rest if rest and prefix.lower() == owner.lower() else name


@route(f"{R}/pulls", "POST")
def create_pull(ctx: Ctx, owner: str, repo: str) -> Reply:
    """``POST /repos/{o}/{r}/pulls``: both branches must exist in git and differ; one open pull
    request per head and base, as GitHub refuses a second with 422."""
    user, st = ctx.caller(), ctx.state
    head = _branch(ctx.body.get("head"), st.owner_login)
    base = _branch(ctx.body.get("base"), st.owner_login)
    head_sha, base_sha = st.git.ref(f"refs/heads/{head}"), st.git.ref(f"refs/heads/{base}")
    if not ctx.body.get("title"):
        raise invalid("PullRequest", "title", "missing_field")
    if head_sha is None or base_sha is None:
        raise invalid("PullRequest", "head" if head_sha is None else "base")
    if not st.git.commits_between(base_sha, head_sha):
        raise ApiError(422, "Validation Failed", errors=[{
            "resource": "PullRequest", "code": "custom",
            "message": f"No commits between {base} and {head}"}])
    if any(i.pull and i.state == "open" and i.pull.head == head and i.pull.base == base
           for i in st.issues.values()):
        raise ApiError(422, "Validation Failed", errors=[{
            "resource": "PullRequest", "code": "custom",
            "message": f"A pull request already exists for {st.owner_login}:{head}."}])
    pull = PullRequest(head=head, base=base, draft=bool(ctx.body.get("draft")))
    issue = st.new_issue(str(ctx.body["title"]), ctx.body.get("body"), user.id, pull=pull)
    data = ctx.render.pull(issue)
    return Reply(201, data, {"Location": data["url"]})


@route(f"{R}/pulls", "GET")
def list_pulls(ctx: Ctx, owner: str, repo: str) -> Page:
    """``GET /repos/{o}/{r}/pulls``: state, head (``owner:branch``), base; newest first."""
    state = ctx.args.get("state", "open")
    head = _branch(ctx.args.get("head"), ctx.state.owner_login) if "head" in ctx.args else None
    base = ctx.args.get("base")
    found = []
    for issue in sorted(ctx.state.issues.values(), key=lambda i: -i.number):
        if issue.pull is None:
            continue
        ctx.state.sync_merged(issue)
        if state in ("all", issue.state) and head in (None, issue.pull.head) \
                and base in (None, issue.pull.base):
            found.append(ctx.render.pull(issue, simple=True))
    return Page(found)


@route(f"{R}/pulls/<int:number>", "GET")
def get_pull(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``GET /repos/{o}/{r}/pulls/{n}``: head and base SHAs as git has them now."""
    return Reply(200, ctx.render.pull(pull_of(ctx, number)))


@route(f"{R}/pulls/<int:number>", "PATCH")
def edit_pull(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``PATCH /repos/{o}/{r}/pulls/{n}``: title, body, state, base."""
    ctx.caller()
    issue = pull_of(ctx, number)
    for key in ("title", "body"):
        if key in ctx.body:
            setattr(issue, key, ctx.body[key])
    if "base" in ctx.body and issue.pull:
        if ctx.state.git.ref(f"refs/heads/{ctx.body['base']}") is None:
            raise invalid("PullRequest", "base")
        issue.pull.base = ctx.body["base"]
    if ctx.body.get("state") in ("open", "closed"):
        ctx.state.close_or_reopen(issue, ctx.body["state"])
    issue.updated_at = ctx.state.clock.now()
    return Reply(200, ctx.render.pull(issue))


@route(f"{R}/pulls/<int:number>/commits", "GET")
def list_pull_commits(ctx: Ctx, owner: str, repo: str, number: int) -> Page:
    """``GET .../pulls/{n}/commits``: ``base..head`` oldest first, authors linked by email."""
    issue = pull_of(ctx, number)
    assert issue.pull is not None
    st = ctx.state
    shas = st.git.commits_between(st.base_sha(issue.pull), st.head_sha(issue.pull))
    return Page([ctx.render.commit(st.git.commit(sha)) for sha in shas])


@route(f"{R}/pulls/<int:number>/reviews", "GET")
def list_reviews(ctx: Ctx, owner: str, repo: str, number: int) -> Page:
    """``GET .../pulls/{n}/reviews``: in submission order, each with its ``commit_id``."""
    pull_of(ctx, number)
    return Page([ctx.render.review(r) for r in ctx.state.reviews.values() if r.pull == number])


@route(f"{R}/pulls/<int:number>/reviews", "POST")
def create_review(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``POST .../pulls/{n}/reviews``: ``event`` APPROVE/REQUEST_CHANGES/COMMENT (none:
    PENDING); ``commit_id`` defaults to the head; an author cannot approve their own."""
    user, issue = ctx.caller(), pull_of(ctx, number)
    assert issue.pull is not None
    event, body = ctx.body.get("event"), ctx.body.get("body") or ""
    if event is not None and event not in REVIEW_STATES:
        raise ApiError(422, "Unprocessable Entity", errors=[f"Invalid event: {event}"])
    if event in ("APPROVE", "REQUEST_CHANGES") and user.id == issue.user:
        verb = "approve" if event == "APPROVE" else "request changes on"
        raise ApiError(422, "Unprocessable Entity",
                       errors=[f"Can not {verb} your own pull request"])
    if event in ("REQUEST_CHANGES", "COMMENT") and not body:
        raise ApiError(422, "Unprocessable Entity",
                       errors=[f"Body is required when the event is {event}"])
    commit_id = ctx.body.get("commit_id") or ctx.state.head_sha(issue.pull)
    if ctx.state.git.resolve(commit_id) != commit_id:
        raise ApiError(422, "Unprocessable Entity", errors=["Commit not found"])
    state = REVIEW_STATES.get(event or "", "PENDING")
    now = ctx.state.clock.now()
    review = Review(ctx.state.new_id("review"), number, user.id, body, state, commit_id,
                    None if state == "PENDING" else now)
    ctx.state.reviews[review.id] = review
    return Reply(200, ctx.render.review(review))


def review_of(ctx: Ctx, number: int, review_id: int) -> Review:
    """The review ``review_id`` of pull request ``number``, else 404."""
    pull_of(ctx, number)
    review = ctx.state.reviews.get(review_id)
    if review is None or review.pull != number:
        raise not_found()
    return review


@route(f"{R}/pulls/<int:number>/reviews/<int:review_id>", "GET")
def get_review(ctx: Ctx, owner: str, repo: str, number: int, review_id: int) -> Reply:
    """``GET .../pulls/{n}/reviews/{id}``."""
    return Reply(200, ctx.render.review(review_of(ctx, number, review_id)))


@route(f"{R}/pulls/<int:number>/reviews/<int:review_id>/dismissals", "PUT")
def dismiss_review(ctx: Ctx, owner: str, repo: str, number: int, review_id: int) -> Reply:
    """``PUT .../reviews/{id}/dismissals``: ``message`` required; a pending review cannot be."""
    ctx.caller()
    review = review_of(ctx, number, review_id)
    if not ctx.body.get("message"):
        raise ApiError(422, "Unprocessable Entity", errors=["Message is required"])
    if review.state == "PENDING":
        raise ApiError(422, "Unprocessable Entity", errors=["Can not dismiss a pending review"])
    review.state = "DISMISSED"
    return Reply(200, ctx.render.review(review))


def sha_of(ctx: Ctx, ref: str) -> str:
    """The commit a ref, branch name or SHA names in git, else 404 (GitHub's "No commit")."""
    sha = ctx.state.git.resolve(ref)
    if sha is None:
        raise ApiError(404, f"No commit found for SHA: {ref}")
    return sha


@route(f"{R}/commits/<path:ref>", "GET")
def get_commit(ctx: Ctx, owner: str, repo: str, ref: str) -> Reply:
    """``GET /repos/{o}/{r}/commits/{ref}``: the commit git has (no file list)."""
    return Reply(200, ctx.render.commit(ctx.state.git.commit(sha_of(ctx, ref))))


@route(f"{R}/git/ref/<path:ref>", "GET")
def get_ref(ctx: Ctx, owner: str, repo: str, ref: str) -> Reply:
    """``GET /repos/{o}/{r}/git/ref/heads/{branch}``: the tip git has now."""
    sha = ctx.state.git.ref(f"refs/{ref}")
    if sha is None:
        raise not_found()
    return Reply(200, ctx.render.ref(f"refs/{ref}", sha))


@route(f"{R}/git/matching-refs/<path:ref>", "GET")
def matching_refs(ctx: Ctx, owner: str, repo: str, ref: str) -> Page:
    """``GET .../git/matching-refs/{prefix}``: every ref whose name starts with it."""
    return Page([ctx.render.ref(n, s) for n, s in ctx.state.git.refs()
                 if n.startswith(f"refs/{ref}")])


@route(f"{R}/git/refs", "POST")
def create_ref(ctx: Ctx, owner: str, repo: str) -> Reply:
    """``POST /repos/{o}/{r}/git/refs``: ``ref`` fully qualified, ``sha`` an existing commit."""
    ctx.caller()
    name, sha = str(ctx.body.get("ref", "")), str(ctx.body.get("sha", ""))
    if not name.startswith("refs/") or name.count("/") < 2:
        raise ApiError(422, "Reference name is not well-formed")
    if ctx.state.git.resolve(sha) != sha:
        raise ApiError(422, "Object does not exist")
    if not ctx.state.git.update_ref(name, sha, None):
        raise ApiError(422, "Reference already exists")
    data = ctx.render.ref(name, sha)
    return Reply(201, data, {"Location": data["url"]})


@route(f"{R}/git/refs/<path:ref>", "PATCH")
def update_ref(ctx: Ctx, owner: str, repo: str, ref: str) -> Reply:
    """``PATCH .../git/refs/{ref}``: without ``force`` a non-fast-forward is refused with 422
    "Update is not a fast forward"; the move is a compare-and-swap in git."""
    ctx.caller()
    name, sha, git = f"refs/{ref}", str(ctx.body.get("sha", "")), ctx.state.git
    old = git.ref(name)
    if old is None:
        raise ApiError(422, "Reference does not exist")
    if git.resolve(sha) != sha:
        raise ApiError(422, "Object does not exist")
    if not ctx.body.get("force") and not git.is_ancestor(old, sha):
        raise ApiError(422, "Update is not a fast forward")
    if not git.update_ref(name, sha, old):
        raise ApiError(422, "Reference cannot be updated")
    return Reply(200, ctx.render.ref(name, sha))


@route(f"{R}/git/refs/<path:ref>", "DELETE")
def delete_ref(ctx: Ctx, owner: str, repo: str, ref: str) -> Reply:
    """``DELETE .../git/refs/{ref}``: 204, or 422 "Reference does not exist"."""
    ctx.caller()
    if not ctx.state.git.delete_ref(f"refs/{ref}"):
        raise ApiError(422, "Reference does not exist")
    return Reply(204)
