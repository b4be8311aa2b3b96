"""The TODO.md board model (SPEC §4.1): parse, render, move, set fields, add tasks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatebot.core.board import (
    Board,
    Stage,
    Task,
    ending,
    escape_title,
    field_match,
    is_blank,
    replace_value,
    sanitize_inline,
    single_line,
    split_lines,
    stage_of_heading,
    title_problem,
    unescape_title,
)
from gatebot.errors import BoardError

BOARDS = Path(__file__).parent.parent / "fixtures" / "boards"


def fixture(name: str) -> str:
    return (BOARDS / name).read_bytes().decode("utf-8")


EXAMPLE = fixture("TODO.md")
VARIATIONS = fixture("TODO-variations.md")


# --- parsing the example -------------------------------------------------------------------


def test_example_tasks_stages_and_fields():
    board = Board.parse(EXAMPLE)
    got = [(t.number, t.stage, t.line, t.critical, t.bug) for t in board.tasks]
    assert got == [
        (7, Stage.READY, 9, False, True),
        (8, Stage.READY, 17, True, False),
        (4, Stage.IN_PROGRESS, 24, False, False),
        (2, Stage.REVIEW, 36, False, False),
        (1, Stage.RDY_FOR_PROD, 44, False, False),
        (0, Stage.RELEASED, 52, False, False),
    ]
    one = board.task(1)
    assert one.title == "Build conversation state machine"
    assert list(one.fields) == ["Built by", "Reviewed by (REVIEW)", "PR", "Cannot review"]
    assert one.field_list("Reviewed by (REVIEW)") == ["goldenfocus-claude-002"]
    assert one.field_list("Cannot review") == ["goldenfocus-claude-001", "goldenfocus-claude-002"]
    assert board.task(7).field_list("Built by") == []


def test_variations_parse_without_fenced_commented_or_indented_headings():
    board = Board.parse(VARIATIONS)
    assert [(t.number, t.stage) for t in board.tasks] == [
        (7, Stage.READY), (8, Stage.READY), (4, Stage.IN_PROGRESS), (11, None),
        (2, Stage.REVIEW), (1, Stage.RDY_FOR_PROD), (0, Stage.RELEASED),
    ]
    assert [s.title for s in board.sections][1:3] == ["🔨 In Progress", "📝 Notes (not a stage)"]
    assert board.task(7).end_line == 25  # the fence and the level-4 heading stay in #7
    assert board.task(8).fields["Built by"] == "None yet"  # the **Name:** spelling
    assert board.task(7).fields["Reviewed by"] == "None yet"  # odd spacing trimmed
    assert board.task(4).fields["Assignee"] == "goldenfocus-chatgpt-003"  # after a blank line
    assert board.task(8).critical  # "Priority: Critical", any case


@pytest.mark.parametrize("text", [
    EXAMPLE, VARIATIONS, VARIATIONS.replace("\n", "\r\n"), VARIATIONS.replace("\n", "\r"),
    EXAMPLE.rstrip("\n"), "", "\n", "no headings at all", "## READY", "\ufeff## READY\r\n",
])
def test_render_is_the_parsed_text(text):
    assert Board.parse(text).render() == text


def test_crlf_and_lone_cr_boards_parse_like_lf():
    def shape(text):
        return [(t.number, t.stage, t.title, dict(t.fields)) for t in Board.parse(text).tasks]

    assert shape(VARIATIONS.replace("\n", "\r\n")) == shape(VARIATIONS)
    assert shape(VARIATIONS.replace("\n", "\r")) == shape(VARIATIONS)


@pytest.mark.parametrize(("heading", "stage"), [
    ("READY", Stage.READY), ("🟢 READY", Stage.READY), ("ready", Stage.READY),
    ("IN-PROGRESS", Stage.IN_PROGRESS), ("In Progress", Stage.IN_PROGRESS),
    ("🔨 in_progress", Stage.IN_PROGRESS), ("👀 Review:", Stage.REVIEW),
    ("RDY FOR PROD", Stage.RDY_FOR_PROD), ("✅ RDY FOR PROD:", Stage.RDY_FOR_PROD),
    ("READY FOR PROD", Stage.RDY_FOR_PROD), ("🚀 Released", Stage.RELEASED),
    ("Notes", None), ("READY SOON", None), ("INPROGRESS", None), ("", None),
])
def test_stage_of_heading(heading, stage):
    assert stage_of_heading(heading) is stage


@pytest.mark.parametrize(("text", "clean"), [
    ("plain", "plain"), ("  padded\t", "padded"), ("a\nb", "a b"), ("a\r\nb", "a b"),
    ("a\rb\vc\fd\x85e\u2028f\u2029g", "a b c d e f g"), ("# heading", "\\# heading"),
    ("\n### #99 Forged", "\\### #99 Forged"), ("C# and #3", "C# and #3"),
])
def test_sanitize_inline(text, clean):
    assert sanitize_inline(text) == clean
    assert sanitize_inline(clean) == clean


@pytest.mark.parametrize(("value", "items"), [
    ("", []), ("None", []), ("None yet", []), ("none", []), ("a", ["a"]),
    ("a ✅, b ✅", ["a", "b"]), ("a,, b ,", ["a", "b"]), ("x✅", ["x"]),
])
def test_field_list(value, items):
    assert Task(1, "t", Stage.READY, {"Reviewed by": value}).field_list("Reviewed by") == items


@pytest.mark.parametrize(("title", "fields", "critical", "bug"), [
    ("🚨 CRITICAL Outage", {}, True, False), ("Outage", {"Priority": "CRITICAL"}, True, False),
    ("Outage", {"Priority": "high"}, False, False), ("🐛 Typo", {}, False, True),
    ("critical bug", {}, False, False),
])
def test_critical_and_bug(title, fields, critical, bug):
    task = Task(3, title, Stage.READY, fields)
    assert (task.critical, task.bug) == (critical, bug)


# --- errors name the line -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("# Title\n\n### #3 Orphan\n", "TODO.md:3: task #3 is not inside a level-2 section"),
    ("## READY\n# Done\n### #3 x\n", "TODO.md:3: task #3 is not inside a level-2 section"),
    ("## READY\n### #3 a\n## REVIEW\n### #3 b\n", "TODO.md:4: task #3 appears twice (lines 2 and 4)"),
    ("## READY\n### #3 a\n**PR**: 1\n**PR**: 2\n",
     "TODO.md:4: the field 'PR' appears twice (lines 3 and 4)"),
])
def test_parse_errors_name_the_line(text, message):
    with pytest.raises(BoardError) as caught:
        Board.parse(text)
    assert caught.value.message == message
    assert caught.value.hint


def test_no_such_task():
    board = Board.parse(EXAMPLE, path="board/TODO.md")
    for act in (lambda: board.task(42), lambda: board.move(42, Stage.REVIEW),
                lambda: board.set_fields(42, {"PR": "#1"})):
        with pytest.raises(BoardError, match=r"^no task #42 in board/TODO\.md$") as caught:
            act()
        numbers = ", ".join(f"#{t.number} ({t.stage})" for t in board.tasks)
        noun = "task" if len(board.tasks) == 1 else "tasks"
        assert caught.value.hint == (
            f"check the number; board/TODO.md has {len(board.tasks)} {noun}: {numbers}")


def test_no_such_task_on_an_empty_board_says_how_to_add_one():
    with pytest.raises(BoardError) as caught:
        Board.parse("# TODO\n\n## READY\n").task(1)
    assert caught.value.message == "no task #1 in TODO.md"
    assert "gatebot task add TITLE" in caught.value.hint


def test_no_such_task_lists_at_most_ten_numbers():
    text = "## READY\n" + "".join(f"### #{n} T{n}\n" for n in range(1, 13))
    with pytest.raises(BoardError) as caught:
        Board.parse(text).task(99)
    assert caught.value.hint.endswith("#10 (READY) and 2 more")
    assert "12 tasks" in caught.value.hint


def test_move_into_a_stage_with_two_sections_is_refused():
    board = Board.parse("## READY\n### #1 a\n## REVIEW\n## Review\n")
    with pytest.raises(BoardError, match=r"^TODO\.md:4: two sections for REVIEW \(lines 3 and 4\)"):
        board.move(1, Stage.REVIEW)


def test_fences_hide_headings_and_a_move_that_would_swallow_some_is_refused():
    assert [t.number for t in Board.parse("## READY\n### #1 a\n```\n## X\n### #2 b\n").tasks] == [1]
    closed = Board.parse("## READY\n### #1 a\n~~~\n### #2 b\n~~~\n## REVIEW\n### #3 c\n")
    assert [(t.number, t.stage) for t in closed.tasks] == [(1, Stage.READY), (3, Stage.REVIEW)]
    board = Board.parse("## REVIEW\n\n## READY\n\n### #2 b\n\n### #1 a\n```\n")
    with pytest.raises(BoardError, match=r"^TODO\.md:7: writing task #1 would change other parts"):
        board.move(1, Stage.REVIEW)
    only_sections = Board.parse("## REVIEW\n\n## READY\n\n### #1 a\n```\n")
    with pytest.raises(BoardError, match=r"^TODO\.md:5: writing task #1 would change other parts"):
        only_sections.move(1, Stage.REVIEW)


# --- golden transitions ---------------------------------------------------------------------


def test_golden_release_of_the_example():
    board = Board.parse(EXAMPLE).move(1, Stage.RELEASED, {
        "Released": "2025-11-02T09:30:00Z",
        "Reviewed by (RDY FOR PROD)": "goldenfocus-codex-003 ✅",
        "Cannot review": "goldenfocus-claude-001, goldenfocus-claude-002, goldenfocus-codex-003",
    })
    assert board.render() == fixture("TODO.released-1.md")


def test_golden_claim_on_the_variations_board():
    board = Board.parse(VARIATIONS).move(7, Stage.IN_PROGRESS, {
        "Assignee": "goldenfocus-claude-005", "Built by": "goldenfocus-claude-005",
        "Started": "2025-11-02T08:00:00Z",
    })
    assert board.render() == fixture("TODO-variations.claimed-7.md")
    assert board.render().startswith("\ufeff") and board.render().endswith("**PR**: #3")


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize(("number", "stage"), [
    (7, Stage.RELEASED), (0, Stage.READY), (11, Stage.REVIEW), (2, Stage.IN_PROGRESS),
    (1, Stage.READY), (8, Stage.RDY_FOR_PROD),
])
def test_every_transition_of_the_variations_keeps_the_rest(eol, number, stage):
    before = Board.parse(VARIATIONS.replace("\n", eol))
    after = before.move(number, stage, {"Built by": "x", "Released": "y"})
    assert_only_block_moved(before, after, number, {"Built by", "Released"})
    assert {ending(line) for line in after.lines} == {eol, ""}


# --- move, set_fields, add_task -------------------------------------------------------------


def test_set_fields_replaces_in_place_and_appends_after_the_last_field():
    text = "## READY\r\n### #5 t\r\n**Built by**:   old  \n**Files:** a\r\n\r\ntext\r\n"
    board = Board.parse(text).set_fields(5, {"Built by": "new", "Files": "b", "PR": "#9"})
    assert board.render() == (
        "## READY\r\n### #5 t\r\n**Built by**:   new  \n**Files:** b\r\n**PR**: #9\r\n\r\ntext\r\n"
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("## READY\n### #5 t\n\ntext", "## READY\n### #5 t\n**PR**: #9\n\ntext"),
    ("## READY\n### #5 t", "## READY\n### #5 t\n**PR**: #9"),
    ("## READY\n### #5 t\n**PR**:\n", "## READY\n### #5 t\n**PR**: #9\n"),
])
def test_set_fields_without_fields_or_final_newline(text, expected):
    assert Board.parse(text).set_fields(5, {"PR": "#9"}).render() == expected


def test_set_fields_rejects_unusable_names():
    board = Board.parse("## READY\n### #5 t\n")
    for name in ("", "a*b", "Name:", "two\nlines", "tab\vbed"):
        with pytest.raises(ValueError, match="field name"):
            board.set_fields(5, {name: "v"})


def test_moving_to_the_current_stage_only_sets_fields():
    board = Board.parse(EXAMPLE).move(7, Stage.READY, {"Files": "/x"})
    assert [t.number for t in board.tasks] == [7, 8, 4, 2, 1, 0]
    assert board.render() == EXAMPLE.replace("/app/auth/redirect.ts", "/x")


@pytest.mark.parametrize(("text", "stage", "expected"), [
    ("## READY\n\n### #1 a\n", Stage.REVIEW, "## READY\n\n## REVIEW\n\n### #1 a\n"),
    ("## READY\n\n### #1 a\n\n## RELEASED\n", Stage.REVIEW,
     "## READY\n\n## REVIEW\n\n### #1 a\n\n## RELEASED\n"),
    ("## REVIEW\n\n### #1 a\n\n## RELEASED\n", Stage.READY,
     "## READY\n\n### #1 a\n\n## REVIEW\n\n## RELEASED\n"),
    ("# T\n## REVIEW\n### #1 a\n", Stage.READY, "# T\n\n## READY\n\n### #1 a\n\n## REVIEW\n"),
    ("\ufeff## REVIEW\n### #1 a", Stage.READY, "\ufeff## READY\n\n### #1 a\n\n## REVIEW"),
    ("## Notes\n### #1 a", Stage.READY, "## Notes\n\n## READY\n\n### #1 a"),
])
def test_a_missing_stage_section_is_created_in_order(text, stage, expected):
    assert Board.parse(text).move(1, stage).render() == expected


def test_add_task_numbers_after_the_highest_and_lands_at_the_section_end():
    board, number = Board.parse(EXAMPLE).add_task("🐛 New bug", {"Files": "/a", "Priority": "high"})
    assert number == 9
    assert [t.number for t in board.tasks] == [7, 8, 9, 4, 2, 1, 0]
    assert board.task(9) == Task(9, "🐛 New bug", Stage.READY, {"Files": "/a", "Priority": "high"},
                                 line=22, end_line=24)
    assert board.render() == EXAMPLE.replace(
        "**Cannot review**: None\n\n## 🔨",
        "**Cannot review**: None\n\n### #9 🐛 New bug\n**Files**: /a\n**Priority**: high\n\n## 🔨",
    )


@pytest.mark.parametrize(("text", "stage", "expected"), [
    ("", Stage.READY, "## READY\n\n### #1 First\n"),
    ("# Board\n", Stage.REVIEW, "# Board\n\n## REVIEW\n\n### #1 First\n"),
    ("# Board", Stage.READY, "# Board\n\n## READY\n\n### #1 First"),
    ("## READY\r\n", Stage.READY, "## READY\r\n\r\n### #1 First\r\n"),
])
def test_add_task_to_an_empty_board(text, stage, expected):
    board, number = Board.parse(text).add_task("First", {}, stage)
    assert (number, board.render()) == (1, expected)


FORGED = "Harmless\n### #99 Forged\n**Built by**: x\r\n## RELEASED\u2028### #98 Also"


def test_user_text_cannot_forge_tasks_fields_or_sections():
    board, number = Board.parse(EXAMPLE).add_task(FORGED, {"Files": FORGED})
    moved = board.move(number, Stage.REVIEW, {"Built by": FORGED, "PR": "\n#5\n**PR**: 6"})
    for result in (board, moved):
        again = Board.parse(result.render())
        assert sorted(t.number for t in again.tasks) == [0, 1, 2, 4, 7, 8, 9]
        assert len(again.sections) == 5
        assert set(again.task(9).fields) <= {"Files", "Built by", "PR"}
    assert moved.task(9).fields["PR"] == "#5 **PR**: 6"
    assert moved.task(9).title == single_line(FORGED)


# --- properties -----------------------------------------------------------------------------

SPELLINGS = {
    Stage.READY: ["READY", "🟢 READY", "Ready"],
    Stage.IN_PROGRESS: ["IN-PROGRESS", "🔨 In Progress", "IN PROGRESS"],
    Stage.REVIEW: ["REVIEW", "👀 Review:"],
    Stage.RDY_FOR_PROD: ["RDY FOR PROD", "✅ READY FOR PROD", "Rdy for prod:"],
    Stage.RELEASED: ["🚀 RELEASED", "Released"],
}
FIELD_NAMES = ["Built by", "Files", "PR", "Cannot review", "Reviewed by (REVIEW)", "Priority"]
FREE = ["Some free text.  ", "\tindented by a tab", "- [ ] item", "#### sub heading",
        "```\n### #9 in a fence\n**Built by**: nobody\n```", "<!--\n### #8 in a comment\n-->",
        "emoji 🐛🚨 ✅", "    ### #7 indented code"]
words = st.text(st.sampled_from("abcXYZ019 -()🐛🚨✅é"), min_size=1, max_size=12)


@st.composite
def task_blocks(draw, number):
    title = draw(words)
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), unique=True, max_size=4))
    values = [draw(words) for _ in names]
    pad = draw(st.sampled_from(["", " ", "  \t"]))
    lines = [f"### #{number} {title}"] + ([""] if names and draw(st.booleans()) else [])
    lines += [f"**{n}**:{pad} {v}{pad}" for n, v in zip(names, values, strict=True)]
    free = draw(st.lists(st.sampled_from(FREE), max_size=3))
    lines += ["", *free] if free else []
    model = (number, title.strip(), dict(zip(names, [v.strip() for v in values], strict=True)))
    return "\n".join(lines), model


@st.composite
def boards(draw):
    stages = draw(st.lists(st.sampled_from(list(Stage)), unique=True, min_size=1))
    heads = [(draw(st.sampled_from(SPELLINGS[s])), s) for s in stages]
    heads += [("📝 Notes", None)] if draw(st.booleans()) else []
    heads = draw(st.permutations(heads))
    numbers = iter(draw(st.lists(st.integers(0, 60), unique=True, min_size=18, max_size=18)))
    parts, model = (["# TODO", "", "Intro."] if draw(st.booleans()) else []), []
    for name, stage in heads:
        parts += [f"## {name}", ""]
        for _ in range(draw(st.integers(0, 3))):
            text, (number, title, fields) = draw(task_blocks(next(numbers)))
            parts += [text, *[""] * draw(st.integers(0, 2))]
            model.append((number, title, stage, fields))
        parts += ["### A note, not a task", "kept"] if draw(st.booleans()) else []
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join("\n".join(parts).split("\n")) + (eol if draw(st.booleans()) else "")
    return ("\ufeff" if draw(st.booleans()) else "") + text, model


PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(boards())
def test_generated_boards_parse_to_their_model_and_render_back(generated):
    text, model = generated
    board = Board.parse(text)
    assert board.render() == text
    assert [(t.number, t.title, t.stage, dict(t.fields)) for t in board.tasks] == model


fields_to_set = st.dictionaries(
    st.sampled_from([*FIELD_NAMES, "Released", "Assignee"]),
    st.text(st.sampled_from("ab #*:\n\r\u2028🐛"), max_size=8), max_size=3)


@PROPS
@given(boards(), st.data())
def test_move_changes_only_the_block_its_fields_and_one_separator(generated, data):
    board = Board.parse(generated[0])
    if not board.tasks:
        return
    number = data.draw(st.sampled_from([t.number for t in board.tasks]))
    stage = data.draw(st.sampled_from(list(Stage)))
    fields = data.draw(fields_to_set)
    after = board.move(number, stage, fields)
    assert after.task(number).stage is stage
    assert {k: after.task(number).fields[k] for k in fields} == {
        k: single_line(v) for k, v in fields.items()}
    assert_only_block_moved(board, after, number, set(fields))


@PROPS
@given(boards(), st.data())
def test_set_fields_changes_only_those_field_lines(generated, data):
    board = Board.parse(generated[0])
    if not board.tasks:
        return
    number = data.draw(st.sampled_from([t.number for t in board.tasks]))
    fields = data.draw(fields_to_set)
    after = board.set_fields(number, fields)
    (old_core, old), (new_core, new) = core(board, number), core(after, number)
    assert drop_fields(old_core, set(fields)) == drop_fields(new_core, set(fields))
    assert board.lines[: old.line - 1] == after.lines[: new.line - 1]
    assert strip_last(board.lines[old.end_line :]) == strip_last(after.lines[new.end_line :])


@PROPS
@given(boards(), words, fields_to_set, st.sampled_from(list(Stage)))
def test_add_task_adds_exactly_one_task(generated, title, fields, stage):
    board = Board.parse(generated[0])
    after, number = board.add_task(title + FORGED, fields, stage)
    assert number == max([t.number for t in board.tasks], default=0) + 1
    assert sorted(t.number for t in after.tasks) == sorted([*(t.number for t in board.tasks), number])
    assert dict(after.task(number).fields) == {k: single_line(v) for k, v in fields.items()}


# --- helpers of the properties --------------------------------------------------------------


def core(board, number):
    task = board.task(number)
    return list(board.lines[task.line - 1 : task.end_line]), task


def strip_last(lines):
    return [*lines[:-1], lines[-1].rstrip("\r\n")] if lines else lines


def drop_fields(lines, names):
    kept = [x for x in lines if not ((m := field_match(x)) and m["name"].strip() in names)]
    return strip_last(kept)


def assert_only_block_moved(before, after, number, names):
    """Outside the block only blank separators (and a new section heading) change."""
    old_core, old = core(before, number)
    new_core, _new = core(after, number)
    assert drop_fields(old_core, names) == drop_fields(new_core, names)
    outside_old = no_bom([*before.lines[: old.line - 1], *before.lines[old.end_line :]])
    task = after.task(number)
    outside_new = no_bom([*after.lines[: task.line - 1], *after.lines[task.end_line :]])
    created = {f"## {task.stage}{ending(x)}" for x in after.lines} - set(no_bom(before.lines))
    kept_new = [line for line in outside_new if not is_blank(line) and line not in created]
    assert strip_last([x for x in outside_old if not is_blank(x)]) == strip_last(kept_new)
    blank_old = sum(map(is_blank, outside_old))
    blank_new = sum(map(is_blank, outside_new))
    assert blank_new - blank_old <= (1 if not created else 3)
    run = max(_blank_run(before.lines, old.line - 2, -1), _blank_run(before.lines, old.end_line, 1))
    assert blank_old - blank_new <= run


def no_bom(lines):
    return [lines[0].removeprefix("\ufeff"), *lines[1:]] if lines else lines


def _blank_run(lines, i, step):
    count = 0
    while 0 <= i < len(lines) and is_blank(lines[i]):
        count, i = count + 1, i + step
    return count


def test_replace_value_only_takes_field_lines():
    assert replace_value("**PR**:\t#1 \r\n", "#2") == "**PR**:\t#2 \r\n"
    with pytest.raises(ValueError, match="not a field line"):
        replace_value("plain text\n", "x")


def test_split_lines_matches_markdown_line_breaks():
    assert split_lines("a\r\nb\rc\nd\u2028e\x85f") == ["a\r\n", "b\r", "c\n", "d\u2028e\x85f"]
    assert split_lines("") == []


# --- titles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "written"), [
    ("C# parser ##", "C\\# parser \\#\\#"),
    ("#", "\\#"),
    ("a \\# b", "a \\\\# b"),
    ("plain", "plain"),
])
def test_titles_are_escaped_in_headings_and_read_back(title, written):
    assert escape_title(title) == written
    assert unescape_title(written) == title
    board, number = Board.parse("## READY\n").add_task(title, {})
    assert board.render() == f"## READY\n\n### #{number} {written}\n"
    assert board.task(number).title == title


@PROPS
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1))
def test_every_usable_title_reads_back_exactly(title):
    if title_problem(title) is None:
        board, number = Board.parse("## READY\n\n### #3 Old\n").add_task(title, {})
        assert board.task(number).title == single_line(title)
        assert [t.number for t in Board.parse(board.render()).tasks] == [3, number]


@pytest.mark.parametrize(("title", "problem"), [
    ("", "empty"), (" \t\n ", "empty"), ("caf\udce9", "UTF-8"), ("a\x00b", "U+0000"),
    ("red \x1b[31m", "U+001B"), ("ok\ttab", None), ("two\nlines", None),
])
def test_title_problem(title, problem):
    found = title_problem(title)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_add_task_never_reuses_a_number_used_before():
    assert Board.parse("## READY\n\n### #3 Old\n").add_task("New", {}, used=7)[1] == 8
    assert Board.parse("## READY\n").add_task("New", {}, used=0)[1] == 1
    assert Board.parse("## READY\n\n### #9 Old\n").add_task("New", {}, used=7)[1] == 10
