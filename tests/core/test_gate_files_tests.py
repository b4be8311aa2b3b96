"""Rule ``gate-files``, its tests part: which tests a module holds, which a change loses."""

from __future__ import annotations

import pytest

from gatebot.core.rules.gate_files import evaluate
from gatebot.core.rules.gate_files_tests import (
    LostTest,
    lost_tests,
    module_tests,
    python_test_modules,
)

MODULE = b"""import unittest

import pytest


def test_a():
    assert True


async def test_b():
    assert True


def helper():
    pass


class TestC:
    def test_d(self):
        pass

    def util(self):
        pass

    class TestE:
        def test_f(self):
            pass


class Cases(unittest.TestCase):
    def test_g(self):
        self.skipTest("later")


class Other:
    def test_h(self):
        pass


@pytest.mark.skipif(True, reason="x")
class TestI:
    def test_j(self):
        pass


@pytest.mark.parametrize("x", [1, pytest.param(2, marks=pytest.mark.xfail)])
def test_k(x):
    pass


if True:
    def test_l():
        pass
"""


def test_what_a_module_holds() -> None:
    found = {(t.name, t.line, t.skipped) for t in module_tests(MODULE) or []}
    assert found == {("test_a", 6, False), ("test_b", 10, False), ("TestC::test_d", 19, False),
                     ("TestC::TestE::test_f", 26, False), ("Cases::test_g", 31, True),
                     ("TestI::test_j", 42, True), ("test_k", 47, True)}


@pytest.mark.parametrize(("text", "skipped"), [
    (b"import pytest\npytestmark = [pytest.mark.slow, pytest.mark.skip]\ndef test_a(): pass\n",
     True),
    (b"import pytest\npytest.importorskip('numpy')\ndef test_a(): pass\n", True),
    (b"import pytest\npytest.skip('no', allow_module_level=True)\ndef test_a(): pass\n", True),
    (b"import pytest\npytestmark = pytest.mark.slow\ndef test_a(): pass\n", False),
    (b"def test_a():\n    def inner():\n        pytest.xfail('x')\n", True),
])
def test_skips_that_cover_a_test(text: bytes, skipped: bool) -> None:
    [test] = module_tests(text) or []
    assert test.skipped is skipped


@pytest.mark.parametrize("text", [None, b"def test_a(:\n", b"\x00"])
def test_a_module_that_is_absent_or_not_python_holds_nothing_known(text: bytes | None) -> None:
    assert module_tests(text) is None


def test_dunder_test_false_collects_nothing() -> None:
    assert module_tests(b"__test__ = False\ndef test_a(): pass\n") == []
    assert [t.name for t in module_tests(
        b"class TestA:\n    __test__ = False\n    def test_b(self): pass\n"
        b"def test_c(): pass\n") or []] == ["test_c"]


TWO = b"def test_a():\n    pass\n\n\ndef test_b():\n    pass\n"


@pytest.mark.parametrize(("files", "lost"), [
    ({"tests/test_x.py": (TWO, b"def test_a():\n    pass\n")},
     [LostTest("tests/test_x.py", "test_b", 5, "removed")]),
    ({"tests/test_x.py": (TWO, b"def test_a():\n    pass\n"),  # moved to a new file
      "tests/test_y.py": (None, b"def test_b():\n    pass\n")}, []),
    ({"tests/test_x.py": (TWO, None),  # renamed: the old path is gone, the new one holds both
      "tests/test_z.py": (None, TWO)}, []),
    ({"tests/test_x.py": (TWO, b"def test_a():\n    pass\n"),  # moved, but skipped there
      "tests/test_y.py": (None, b"import pytest\n@pytest.mark.skip\ndef test_b(): pass\n")},
     [LostTest("tests/test_x.py", "test_b", 5, "removed")]),
    ({"tests/test_x.py": (TWO, b""),  # two of one name gone, one added elsewhere
      "tests/test_y.py": (TWO, b"def test_c(): pass\n"),
      "tests/test_w.py": (None, b"def test_a(): pass\n")},
     [LostTest("tests/test_x.py", "test_b", 5, "removed"),
      LostTest("tests/test_y.py", "test_a", 1, "removed"),
      LostTest("tests/test_y.py", "test_b", 5, "removed")]),
    ({"tests/test_x.py": (TWO, TWO.replace(b"def test_b", b"@unittest.skip('x')\ndef test_b"))},
     [LostTest("tests/test_x.py", "test_b", 6, "skipped")]),
    ({"tests/test_x.py": (b"import pytest\n@pytest.mark.skip\ndef test_a(): pass\n", b"")},
     []),  # a test that never ran is no loss
    ({"tests/test_x.py": (TWO, b"def test_a(:\n")}, []),  # the tests check fails instead
    ({"tests/test_x.py": (None, TWO)}, []),
    ({"tests/test_x.py": (TWO, TWO + b"\n\ndef test_c():\n    pass\n")}, []),
])
def test_which_tests_a_change_loses(files: dict[str, tuple[bytes | None, bytes | None]],
                                    lost: list[LostTest]) -> None:
    assert lost_tests(files) == lost


def test_test_modules_are_python_test_files_but_conftest() -> None:
    paths = ["tests/test_a.py", "tests/conftest.py", "tests/data.json", "app/x.py",
             "app/x_test.py"]
    assert python_test_modules(paths, ["tests/**", "**/*_test.py"]) == [
        "tests/test_a.py", "app/x_test.py"]


def test_a_lost_test_needs_a_maintainer_with_its_file_line_and_name() -> None:
    lost = [LostTest("tests/test_x.py", "TestX::test_b", 5, "skipped")]
    result = evaluate([], maintainers=["mia"], approvers=["rev1"], lost=lost)
    assert result.status == "fail"
    assert result.summary == ("tests/test_x.py::TestX::test_b skipped: needs a maintainer's "
                              "approval (rev1 is not one)")
    [finding] = result.findings
    assert (finding.path, finding.line, finding.test) == (
        "tests/test_x.py", 5, "tests/test_x.py::TestX::test_b")
    approved = evaluate(["noxfile.py"], maintainers=["mia"], approvers=["mia"], lost=lost)
    assert approved.status == "pass"
    assert approved.summary == ("noxfile.py changed; tests/test_x.py::TestX::test_b skipped; "
                                "approved by maintainer mia")
