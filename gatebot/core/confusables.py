"""Look-alike names: UTS #39 skeletons and mixed scripts, from Unicode's own data.

Unicode Technical Standard #39 (Unicode Security Mechanisms) defines the
*skeleton* of a string: decompose it (NFD), replace each character by the
prototype its ``confusables.txt`` maps it to, decompose again. Two strings are
confusable when their skeletons are equal: Cyrillic ``о`` and Latin ``o``,
``1`` and ``l``, ``m`` and ``rn``. The data is Unicode's ``confusables.txt``
and ``Scripts.txt`` as the ``confusable-homoglyphs`` package ships them
(JSON files in the package). They are read from the installed package itself,
never from the ``CONFUSABLE_DATA`` directory that package's own loader honours:
the environment of the person acting must not be able to swap the data.

Most names are ASCII: for them the answers come from two small facts of that
data written out here (``ASCII_PROTOTYPES``; every ASCII character is Latin or
of no script), so the 1 MB of JSON is read only for a name that is not ASCII.
The tests derive both facts from the package's data again.
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import unicodedata
from pathlib import Path
from typing import Any

_PACKAGE = "confusable_homoglyphs"
_LRM = "\u200e"  # confusables.txt wraps right-to-left characters in LEFT-TO-RIGHT MARKs
_SCRIPTLESS = frozenset({"COMMON", "INHERITED", "Unknown"})
_AUGMENTED = (frozenset({"HAN", "HIRAGANA", "KATAKANA"}), frozenset({"HAN", "HANGUL"}),
              frozenset({"HAN", "BOPOMOFO"}))
"""Scripts written together as one (UTS #39 §5.1 augmented script sets: Jpan, Kore, Hanb)."""
ASCII_PROTOTYPES = {'"': "''", "%": "\u00ba/\u2080", "0": "O", "1": "l", "I": "l", "`": "'",
                    "m": "rn", "|": "l"}
"""Every ASCII character whose prototype is not itself, and that prototype (``prototype``
answers the same from the package's data: ``tests/core/test_confusables.py`` checks it)."""


@functools.cache
def _data(name: str) -> Any:
    """The package's JSON file ``name``, found as Python finds the package (no import of it)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{_PACKAGE} is not installed: pip install confusable-homoglyphs")
    import json  # noqa: PLC0415 - only for a name that is not ASCII

    folder = Path(next(iter(spec.submodule_search_locations)))
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _neighbours(text: str) -> list[str]:
    entries = _data("confusables.json").get(text) or _data("confusables.json").get(
        f"{_LRM}{text}{_LRM}", ())
    return [entry["c"].replace(_LRM, "") for entry in entries]


@functools.cache
def prototype(char: str) -> str:
    """The prototype ``confusables.txt`` maps ``char`` to (``char`` itself when none).

    The package keeps each line ``source ; prototype`` in both directions, so
    the direction is read from the shape: a prototype has every one of its
    sources as a neighbour, a source only its prototype (a prototype is never
    itself a source). Where a prototype has a single source, the pair is
    ambiguous and the smaller string stands for both, unless one of them is
    longer than one code point (sources are single code points): the
    equivalence, which is all a skeleton comparison uses, is the same.
    """
    neighbours = _neighbours(char)
    if len(neighbours) != 1:
        return char  # a prototype of several, or no confusable at all
    other = neighbours[0]
    if len(_neighbours(other)) > 1 or len(other) > 1 or other < char:
        return other
    return char


def skeleton(text: str) -> str:
    """The UTS #39 skeleton of ``text``: NFD, each character's prototype, NFD again.

    ``skeleton("builder-\u043ene") == skeleton("builder-one")``. Pure; reads
    the package's data once per process (about 1 MB of JSON), and only for
    text that is not ASCII (ASCII text is its own NFD: ``ASCII_PROTOTYPES``).
    """
    if text.isascii():
        mapped = "".join(ASCII_PROTOTYPES.get(c, c) for c in text)
    else:
        mapped = "".join(prototype(c) for c in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


@functools.cache
def _script_ranges() -> tuple[list[int], list[tuple[int, str]]]:
    data = _data("categories.json")
    ranges = sorted(data["code_points_ranges"])
    aliases = data["iso_15924_aliases"]
    return [r[0] for r in ranges], [(r[1], aliases[r[2]]) for r in ranges]


def script(char: str) -> str:
    """The Unicode script of ``char`` (``LATIN``, ``CYRILLIC``, ``COMMON``…; ``Unknown``)."""
    starts, ends = _script_ranges()
    point = ord(char)
    index = bisect.bisect_right(starts, point) - 1
    if index < 0 or point > ends[index][0]:
        return "Unknown"
    return ends[index][1]


def mixed_scripts(text: str) -> tuple[str, ...]:
    """The scripts ``text`` mixes, sorted; ``()`` when it is written in one script.

    Characters of no script (digits, punctuation, combining marks: ``COMMON``,
    ``INHERITED``) are left out, and the scripts written together as one
    (Han with Hiragana and Katakana, with Hangul, or with Bopomofo) count as
    one: UTS #39's "single script" restriction level. ``builder-\u043ene``
    mixes ``("CYRILLIC", "LATIN")``. ASCII text mixes none: its letters are
    Latin and the rest of no script (no data read).
    """
    if text.isascii():  # NFKC keeps ASCII as it is
        return ()
    found = {script(c) for c in unicodedata.normalize("NFKC", text)} - _SCRIPTLESS
    if len(found) <= 1 or any(found <= together for together in _AUGMENTED):
        return ()
    return tuple(sorted(found))
