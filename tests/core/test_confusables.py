"""UTS #39 skeletons and mixed scripts (gatebot.core.confusables) and how identities use them."""

from __future__ import annotations

import pytest

from gatebot.core.confusables import ASCII_PROTOTYPES, mixed_scripts, prototype, script, skeleton
from gatebot.core.protocol import Contributor, Identity, look_alike
from gatebot.core.rules.gate_files import same_person


@pytest.mark.parametrize(("one", "other"), [
    ("builder-\u043ene", "builder-one"),  # Cyrillic о
    ("\u0441\u043e\u0440", "cop"),  # all Cyrillic
    ("rev1", "revl"), ("m", "rn"), ("\u0391lice", "Alice"),  # Greek Alpha
])
def test_look_alikes_share_a_skeleton(one: str, other: str) -> None:
    """Unicode's confusables.txt, as the confusable-homoglyphs package ships it."""
    assert skeleton(one) == skeleton(other)
    assert one != other


@pytest.mark.parametrize(("one", "other"), [("rev1", "rev2"), ("ann", "anne"), ("bob", "rob")])
def test_different_names_keep_different_skeletons(one: str, other: str) -> None:
    """The other side: names a reader tells apart stay apart."""
    assert look_alike(one) != look_alike(other)


def test_scripts_and_mixed_scripts() -> None:
    """Digits and punctuation have no script; Han with kana is one script (Japanese)."""
    assert script("a") == "LATIN"
    assert script("\u043e") == "CYRILLIC"
    assert script("-") == "COMMON"
    assert mixed_scripts("builder-\u043ene") == ("CYRILLIC", "LATIN")
    assert mixed_scripts("goldenfocus-claude-001") == ()
    assert mixed_scripts("\u0418\u0432\u0430\u043d") == ()  # Иван
    assert mixed_scripts("\u5c71\u7530\u305f\u308d\u3046") == ()  # 山田たろう
    assert mixed_scripts("\uff52\uff45\uff56\uff11") == ()  # full-width rev1


def test_a_look_alike_is_excluded_but_never_granted() -> None:
    """A look-alike of a builder is the builder; a look-alike of a maintainer is no maintainer."""
    assert Contributor("rev1", "claimant").matches(Identity("REVl"))
    assert Identity("rev1").matches(Identity("revl"))
    assert not same_person("maint\u0430", "maint")  # Cyrillic а
    assert same_person("MAINT", "maint")


def test_a_sub_address_is_its_mailbox() -> None:
    """RFC 5233: ``ann+review@x.org`` delivers to ``ann@x.org``; a name with ``+`` is kept."""
    assert look_alike("Ann+Review@X.org") == look_alike("ann@x.org")
    assert look_alike("a+b") != look_alike("a")
    assert look_alike("+x@y.org") != look_alike("@y.org")


def test_ascii_text_is_answered_as_the_data_answers_it() -> None:
    """The shortcut for ASCII names (no data read) is what Unicode's data says of each character.

    ``ASCII_PROTOTYPES`` lists every ASCII character the data maps elsewhere, and every
    ASCII character is Latin or of no script, so ASCII text never mixes scripts.
    """
    ascii_chars = [chr(point) for point in range(128)]
    from_data = {c: prototype(c) for c in ascii_chars if prototype(c) != c}
    assert from_data == ASCII_PROTOTYPES
    assert {script(c) for c in ascii_chars} == {"LATIN", "COMMON"}
    every = "".join(ascii_chars)
    assert skeleton(every) == "".join(prototype(c) for c in every)
    assert skeleton("rev-1 m|I0`%") == "rev-l rnllO'\u00ba/\u2080"
    assert mixed_scripts("rev-1 b") == ()
    # the first non-ASCII character reads the data: a look-alike is still one
    assert skeleton("rev-\u0399") == skeleton("rev-1") == skeleton("rev-l")  # Greek Iota
    assert mixed_scripts("rev-\u0399a") == ("GREEK", "LATIN")
