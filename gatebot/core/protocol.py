"""The lifecycle and who may review (SPEC §2, §3): pure functions, no I/O.

Builders of a change are its claimants, the PR author, every author and
committer in ``base..head`` and the last pusher. A gate-1 reviewer is not a
builder; a gate-2 reviewer is neither a builder nor the gate-1 reviewer; bots
never count. An actor is an ``Identity``: the name it acts as plus the git
identity of the repository it acted from. Names and emails match whole, after
NFKC normalisation and case folding (``ｂｕｉｌｄｅｒ`` is ``builder``); to exclude a
reviewer, a look-alike is the same name too (UTS #39 skeletons: ``builder-\u043ene``
with a Cyrillic ``о`` is ``builder-one``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from gatebot.core.verdict import Finding, RuleResult

TASK_BRANCH = re.compile(r"^task/(\d+)(?:[-_/.].*)?$")
_GIT_IDENT = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]*)>$")
_IGNORABLE_RANGES = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
                     (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xE0000, 0xE0FFF))
"""Default-ignorable code points that are not format characters (Unicode
DerivedCoreProperties: combining grapheme joiner, Hangul fillers, Khmer vowels
``aq``/``aa``, Mongolian and other variation selectors, tags); every ``Cf``
character (zero-width space and joiners, soft hyphen, bidi controls) is one too."""


def _visible(char: str) -> bool:
    point = ord(char)
    return unicodedata.category(char) != "Cf" and not any(
        low <= point <= high for low, high in _IGNORABLE_RANGES)


def fold(text: str) -> str:
    """``text`` as identities compare it: NFKC, case-folded, NFKC again, invisibles dropped.

    Outer space is stripped and every default-ignorable (invisible) code point
    removed. The Unicode "caseless identifier match" (UAX #31 / Unicode §3.13, whose
    NFKC_Casefold also drops default-ignorables): a full-width ``ＲＥＶ１`` and
    ``rev1`` fold to the same string, and so does ``rev\u200b1``.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in folded if _visible(c)).strip()


def look_alike(text: str) -> str:
    """``text`` as exclusion compares it: ``fold``, then its UTS #39 skeleton, case-folded.

    Names that a reader of the board cannot tell apart give the same string:
    ``builder-\u043ene`` (Cyrillic ``о``), ``rev1`` and ``revl``, ``rn`` and ``m``. An
    email's sub-address is dropped (RFC 5233: ``ann+review@x.org`` is ``ann@x.org``'s
    mailbox). Used to exclude (a look-alike of a builder is a builder), never to grant
    (a look-alike of a maintainer is no maintainer: ``Identity.matches_any``).
    """
    from gatebot.core.confusables import skeleton  # noqa: PLC0415 - 1 MB of Unicode data

    folded = fold(text)
    local, at, domain = folded.rpartition("@")
    mailbox = local.split("+", 1)[0]
    if at and mailbox:
        folded = f"{mailbox}@{domain}"
    return skeleton(folded).casefold()


@dataclass(frozen=True)
class Identity:
    """Who acted: a name it acts as plus the git identity of the repository it acted from.

    ``actor`` is ``--as``, ``GATEBOT_ACTOR`` or git ``user.email``;
    ``git_name`` and ``git_email`` are git ``user.name`` and ``user.email``
    (``""`` when unset).

    Two identities are one person when any of their names or emails fold to
    the same string (``fold``), or look alike (``look_alike``) where a person
    is excluded; empty values never match.
    """

    actor: str
    git_name: str = ""
    git_email: str = ""

    def __str__(self) -> str:
        """The name it acts as (what the board and messages show)."""
        return self.actor

    @property
    def git(self) -> str:
        """The git identity as git writes it (``Name <email>``), or ``""`` when unset."""
        if not (self.git_name or self.git_email):
            return ""
        return f"{self.git_name} <{self.git_email}>".strip()

    @classmethod
    def parse(cls, actor: str, git: str = "") -> Identity:
        """Read back an identity recorded as ``actor`` and ``git`` (``Name <email>``).

        A ``git`` value not in that shape is taken whole as the git name.
        """
        match = _GIT_IDENT.match(git.strip())
        if match is None:
            return cls(actor.strip(), git.strip())
        return cls(actor.strip(), match["name"].strip(), match["email"].strip())

    def keys(self) -> frozenset[str]:
        """Every name and email of this identity, folded; no empty string."""
        return frozenset(fold(x) for x in (self.actor, self.git_name, self.git_email)) - {""}

    def look_alike_keys(self) -> frozenset[str]:
        """Every name and email of this identity as ``look_alike`` gives it; no empty string.

        An actor written as a git identity (``Ann <ann@x.org>``) counts as its name
        and its email too: the board shows it as that person.
        """
        names = [self.actor, self.git_name, self.git_email]
        written = _GIT_IDENT.match(self.actor.strip())
        if written is not None:
            names += [written["name"], written["email"]]
        return frozenset(look_alike(x) for x in names) - {""}

    def matches(self, other: Identity) -> bool:
        """Whether ``other`` may be the same person: a name or email in common or alike.

        For exclusion (the gate-1 reviewer at gate 2): ``look_alike`` keys.
        """
        return bool(self.look_alike_keys() & other.look_alike_keys())

    def resembles_any(self, names: Iterable[str]) -> bool:
        """Whether any of ``names`` (names or emails of builders) is or looks like this one."""
        return bool(self.look_alike_keys() & ({look_alike(n) for n in names} - {""}))

    def matches_any(self, names: Iterable[str]) -> bool:
        """Whether any of ``names`` (names or emails, e.g. ``claims.maintainers``) is this one.

        Exactly, as ``fold`` compares: a right granted by name (a maintainer's)
        never extends to a look-alike.
        """
        return bool(self.keys() & ({fold(n) for n in names} - {""}))


def as_identity(actor: Identity | str) -> Identity:
    """``actor`` as an ``Identity`` (a bare name has no git identity)."""
    return actor if isinstance(actor, Identity) else Identity(actor.strip())


class Contributor(NamedTuple):
    """Someone who built part of a change: ``role`` says how (claimant, author of SHA…)."""

    name: str
    role: str
    email: str = ""

    def matches(self, actor: Identity | str) -> bool:
        """Whether ``actor`` has this contributor's name or email, or a look-alike of one.

        Compared as ``look_alike`` compares: a builder under a homoglyph of
        their name is still the builder.
        """
        return as_identity(actor).resembles_any((self.name, self.email))


def builder_roles(actor: Identity | str, builders: Iterable[Contributor]) -> list[str]:
    """Every role in which ``actor`` built the change (empty: not a builder)."""
    return [b.role for b in builders if b.matches(actor)]


def task_branch_globs(number: int) -> tuple[str, ...]:
    """Refspec globs of the branches ``TASK_BRANCH`` gives to task ``number``: ``task/N-*``, ….

    ``task/N`` alone and names with a leading zero (``task/04-x``) are left
    out: a glob cannot say them without also saying others.
    """
    return tuple(f"task/{number}{sep}*" for sep in "-_/.")


def refspec_glob_match(glob: str, name: str) -> bool:
    """Whether ``name`` matches ``glob``, a refspec's pattern with one ``*`` (``task/4-*``).

    The ``*`` matches any text, ``/`` included, as in a refspec (``git help fetch``).
    """
    before, _, after = glob.partition("*")
    return (len(name) >= len(before) + len(after) and name.startswith(before)
            and name.endswith(after))


def branch_belongs(number: int, branch: str | None, recorded: str | None) -> bool:
    """Whether ``branch`` holds task ``number``'s work (a review must judge that task's code).

    True for a ``task/N-…`` branch with N equal to ``number``, or for the
    task's recorded ``Branch`` field unless that names another task's branch
    (``task/M-…``: a submit cannot make task M's code task N's); False for
    anything else, and for no branch at all (a detached HEAD).
    """
    if not branch:
        return False
    match = TASK_BRANCH.match(branch)
    if match:
        return int(match.group(1)) == number
    return branch == (recorded or "").strip()


def _fail(actor: str, reason: str) -> RuleResult:
    return RuleResult(
        "reviewer", "fail", f"{actor} may not review: {reason}",
        (Finding(f"{actor} is not an eligible reviewer: {reason}"),),
    )


def _described(who: Identity) -> str:
    return f"{who.actor} (git {who.git})" if who.git else who.actor


def review_eligibility(
    actor: Identity | str,
    builders: Sequence[Contributor],
    *,
    gate1_reviewer: Identity | str | None = None,
    bots: Iterable[str] = (),
) -> RuleResult:
    """The ``reviewer`` rule (SPEC §3, §5.1) for ``actor``.

    Gate 1: pass ``gate1_reviewer=None``. Gate 2: pass the gate-1 reviewer's
    recorded identity, who is then excluded too: any of its names or emails
    shared with ``actor`` is the same person. Returns a ``RuleResult`` whose
    finding names the reason (e.g. "author of abc1234").
    """
    who = as_identity(actor)
    if not fold(who.actor):
        return _fail(who.actor or "(nobody)", "no actor; pass --as NAME or set GATEBOT_ACTOR")
    if fold(who.actor) in {fold(b) for b in bots}:
        return _fail(who.actor, "bots never count as reviewers")
    roles = builder_roles(who, builders)
    if roles:
        return _fail(who.actor, "builder of this change (" + "; ".join(dict.fromkeys(roles)) + ")")
    if gate1_reviewer is not None and who.matches(first := as_identity(gate1_reviewer)):
        return _fail(who.actor, f"the same person who approved gate 1 ({_described(first)}); "
                     "gate 2 needs a different reviewer")
    return RuleResult("reviewer", "pass", f"{who.actor} is eligible")


def cannot_review(builders: Sequence[Contributor], reviewers: Sequence[str]) -> str:
    """The derived ``Cannot review`` value: builder names then reviewers, without repeats."""
    names = [b.name for b in builders if b.name] + [r for r in reviewers if r]
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(fold(name), name)
    return ", ".join(seen.values()) or "None"
