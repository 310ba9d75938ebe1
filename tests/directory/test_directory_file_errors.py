"""A broken services.yml is refused whole: every problem named with its line and field
path, and the directory in the database left exactly as it was.

Each case edits one small valid document (BASE) in one precise place. The expected line
is found in the broken text (the edited line, or the entry a missing field belongs to),
never hard-coded.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from app.directory import directory_sync
from app.directory.directory_file import DirectoryFileInvalid, Problem, parse_directory_file
from app.extensions import db
from app.models import Area, Category, Location, Organisation, Schedule, Service, WaitingTime
from tests.conftest import import_text

# Two districts, a parent category with one child, two organisations, and one service of
# each access route. No double quote appears after the schedule, so that an unclosed
# quote there runs to the end of the file.
BASE = """\
version: 1
directory:
  name: Test Family Support Directory
  area: Surrey
  safeguarding: |
    If a child is in immediate danger, call 999. If you are worried about a child's
    safety, contact the Children's Single Point of Access (CSPA).
areas:
  - id: woking
    name: Woking
    lad_code: E07000217
  - id: runnymede
    name: Runnymede
    lad_code: E07000212
categories:
  - id: parenting
    name: Parenting
    description: Help with the everyday ups and downs of being a parent.
    keywords: [parenting, behaviour, tantrums]
  - id: parenting-courses
    name: Parenting courses
    parent: parenting
  - id: emotional-wellbeing
    name: Emotional wellbeing
    keywords: [anxiety, worry]
organisations:
  - id: woking-family-trust
    name: Woking Family Trust
    website: https://www.example.org
  - id: runnymede-family-hub
    name: Runnymede Family Hub
    phone: 01632 960001
services:
  - id: woking-stay-and-play
    organisation: woking-family-trust
    name: Stay and play
    summary: A weekly drop-in play session for parents and children under five.
    description: |
      Come along with your child for toys, songs and a chat with other parents.

      No need to book.
    kind: community
    categories: [parenting]
    areas: [woking]
    access: drop-in
    eligibility:
      age_min: 0
      age_max: 4
    delivery: [in-person]
    contact:
      phone: 01632 960123
    locations:
      - name: Woking Family Centre
        address: 1 Example Road, Woking
        postcode: GU21 2AA
    schedule:
      - days: [mon, wed]
        opens: "09:30"
        closes: "11:30"
        note: Term time only
  - id: woking-parenting-puzzle
    organisation: woking-family-trust
    name: Parenting Puzzle course
    summary: A ten-week group course for parents of children aged 3 to 11.
    description: |
      Meet other parents and learn calm ways to manage behaviour.
    kind: commissioned
    categories: [parenting-courses]
    areas: [woking, runnymede]
    access: self-referral
    eligibility:
      age_min: 3
      age_max: 11
      description: Parents and carers living in Woking or Runnymede.
    delivery: [in-person, online]
    languages: [en, pl]
    contact:
      email: parenting@example.org
      website: https://www.example.org/parenting
    referral_email: referrals@example.org
    waiting_time:
      status: waitlist
      weeks: 6
      updated: 2025-10-01
      note: Faster for families with a child under 2.
    keywords: [triple p]
  - id: runnymede-family-support
    organisation: runnymede-family-hub
    name: Family support workers
    summary: One-to-one support at home for families who are finding things hard.
    description: |
      A family support worker visits you at home and helps you make a plan.
    kind: council
    categories: [emotional-wellbeing, parenting]
    areas: [runnymede]
    access: professional-referral
    delivery: [home-visit, phone]
    contact:
      phone: 01632 960456
      email: familysupport@example.org
    waiting_time:
      status: open
      updated: 2025-10-15
"""

LONG_SUMMARY = "summary: " + "Play, songs and stories for parents and children under five. " * 4


# -- helpers ------------------------------------------------------------------------------

def line_of(text: str, line: str, nth: int | None = None) -> int:
    """The 1-based number of the line that reads `line` (ignoring indentation).

    Without `nth` the line must be unique; with it, its nth occurrence (from 1).
    """
    found = [number for number, content in enumerate(text.splitlines(), start=1)
             if content.strip() == line]
    if nth is None:
        assert len(found) == 1, f"{line!r} is on lines {found}, not on exactly one"
        return found[0]
    assert len(found) >= nth, f"{line!r} is on lines {found}, no occurrence {nth}"
    return found[nth - 1]


def replace(old: str, new: str) -> Callable[[str], str]:
    """An edit replacing text that occurs exactly once."""
    def edit(text: str) -> str:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        return text.replace(old, new)
    return edit


def append(extra: str) -> Callable[[str], str]:
    return lambda text: text + extra


def whole_file(new_text: str) -> Callable[[str], str]:
    return lambda text: new_text


@dataclass(frozen=True)
class Case:
    id: str
    edit: Callable[[str], str]
    at: str | tuple[str, int] | int  # the line's text, (text, nth occurrence), or a number
    path: str
    message: str | Callable[[str], str]  # a fragment, or one computed from the broken text
    xfail: tuple[type[BaseException], str] | None = None  # (what it raises now, why)

    def line(self, text: str) -> int:
        if isinstance(self.at, int):
            return self.at
        if isinstance(self.at, tuple):
            return line_of(text, *self.at)
        return line_of(text, self.at)

    def fragment(self, text: str) -> str:
        return self.message(text) if callable(self.message) else self.message

    def broken(self) -> str:
        text = self.edit(BASE)
        assert text != BASE
        return text


def first_use(id_line: str, what: str) -> Callable[[str], str]:
    """The duplicate-id message, naming the line where the id was first used."""
    return lambda text: (f"duplicate id '{what}' "
                         f"(first used on line {line_of(text, id_line, 1)})")


def snapshot() -> tuple[str, dict[str, int]]:
    """The whole directory as export writes it, and the number of rows per table."""
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
              for model in (Area, Category, Organisation, Service, Location, Schedule,
                            WaitingTime)}
    return directory_sync.export_directory(), counts


def matching(problems: list[Problem], line: int, path: str, fragment: str) -> list[Problem]:
    return [p for p in problems if p.line == line and p.path == path and fragment in p.message]


def described(problems: list[Problem]) -> str:
    return "problems reported:\n" + "\n".join(f"  {problem}" for problem in problems)


# -- the cases -----------------------------------------------------------------------------

S0, S1, S2 = "services[0]", "services[1]", "services[2]"
BAD_ID = "is not a valid id: use lowercase letters, digits and single hyphens"

CASES = [
    # references
    Case("unknown-organisation",
         replace("organisation: runnymede-family-hub", "organisation: runnymede-family-hubb"),
         "organisation: runnymede-family-hubb", f"{S2}.organisation",
         "unknown organisation 'runnymede-family-hubb'"),
    Case("unknown-category",
         replace("categories: [emotional-wellbeing, parenting]",
                 "categories: [emotional-wellbeing, parentin]"),
         "categories: [emotional-wellbeing, parentin]", f"{S2}.categories[1]",
         "unknown category 'parentin'"),
    Case("unknown-area",
         replace("areas: [woking]\n", "areas: [wokingg]\n"),
         "areas: [wokingg]", f"{S0}.areas[0]", "unknown area 'wokingg'"),
    Case("unknown-parent-category",
         replace("parent: parenting\n", "parent: parentingg\n"),
         "parent: parentingg", "categories[1].parent", "unknown category 'parentingg'"),
    Case("category-three-levels",
         replace("    keywords: [anxiety, worry]\n",
                 "    keywords: [anxiety, worry]\n"
                 "  - id: parenting-teenagers\n"
                 "    name: Parenting teenagers\n"
                 "    parent: parenting-courses\n"),
         "parent: parenting-courses", "categories[3].parent",
         "'parenting-courses' is itself a subcategory"),
    # ids
    Case("duplicate-service-id",
         replace("- id: runnymede-family-support", "- id: woking-stay-and-play"),
         ("- id: woking-stay-and-play", 2), f"{S2}.id",
         first_use("- id: woking-stay-and-play", "woking-stay-and-play")),
    Case("duplicate-area-id",
         replace("  - id: runnymede\n", "  - id: woking\n"),
         ("- id: woking", 2), "areas[1].id", first_use("- id: woking", "woking")),
    Case("slug-uppercase",
         replace("- id: woking-stay-and-play", "- id: Woking-Stay-And-Play"),
         "- id: Woking-Stay-And-Play", f"{S0}.id", f"'Woking-Stay-And-Play' {BAD_ID}"),
    Case("slug-underscore",
         replace("- id: emotional-wellbeing", "- id: emotional_wellbeing"),
         "- id: emotional_wellbeing", "categories[2].id", f"'emotional_wellbeing' {BAD_ID}"),
    Case("slug-spaces",
         replace("- id: runnymede-family-hub", "- id: runnymede family hub"),
         "- id: runnymede family hub", "organisations[1].id", f"'runnymede family hub' {BAD_ID}"),
    # field values
    Case("bad-postcode",
         replace("postcode: GU21 2AA", "postcode: XY1"),
         "postcode: XY1", f"{S0}.locations[0].postcode", "'XY1' is not a valid UK postcode"),
    Case("bad-lad-code",
         replace("lad_code: E07000212", "lad_code: E0700021"),
         "lad_code: E0700021", "areas[1].lad_code", "'E0700021' is not an ONS district code"),
    Case("age-as-text",
         replace("age_min: 3\n", 'age_min: "ten"\n'),
         'age_min: "ten"', f"{S1}.eligibility.age_min", "must be a whole number, not text"),
    Case("age-min-above-age-max",
         replace("age_min: 3\n", "age_min: 12\n"),
         "age_max: 11", f"{S1}.eligibility.age_max", "age_max 11 is below age_min 12"),
    Case("summary-missing",
         replace("    summary: A ten-week group course for parents of children aged 3 to 11.\n",
                 ""),
         "- id: woking-parenting-puzzle", f"{S1}.summary", "required field missing"),
    Case("summary-too-long",
         replace("summary: A weekly drop-in play session for parents and children under five.",
                 LONG_SUMMARY),
         LONG_SUMMARY.strip(), f"{S0}.summary", "characters long; at most 200"),
    Case("unknown-kind",
         replace("kind: council", "kind: charity"),
         "kind: charity", f"{S2}.kind",
         "'charity' is not one of: council, commissioned, community, school"),
    Case("unknown-access",
         replace("access: professional-referral", "access: gp-referral"),
         "access: gp-referral", f"{S2}.access", "'gp-referral' is not one of: drop-in"),
    Case("unknown-service-field",
         replace("    access: drop-in\n", "    acess: drop-in\n"),
         "acess: drop-in", f"{S0}.acess", "unknown field 'acess'"),
    Case("self-referral-without-referral-email",
         replace("    referral_email: referrals@example.org\n", ""),
         "- id: woking-parenting-puzzle", f"{S1}.referral_email",
         "required for a self-referral service"),
    Case("areas-all-with-others",
         replace("areas: [woking, runnymede]", "areas: [all, woking]"),
         "areas: [all, woking]", f"{S1}.areas", "'all' covers every area: list it alone"),
    Case("categories-empty",
         replace("categories: [parenting]\n", "categories: []\n"),
         "categories: []", f"{S0}.categories", "must list at least one"),
    Case("delivery-not-in-list",
         replace("delivery: [in-person]\n", "delivery: [in person]\n"),
         "delivery: [in person]", f"{S0}.delivery[0]",
         "'in person' is not one of: in-person, online, phone, home-visit"),
    Case("language-not-two-letters",
         replace("languages: [en, pl]", "languages: [en, pol]"),
         "languages: [en, pol]", f"{S1}.languages[1]",
         "'pol' is not a two-letter ISO 639-1 language code"),
    # contact
    Case("bad-email",
         replace("email: parenting@example.org", "email: parenting.example.org"),
         "email: parenting.example.org", f"{S1}.contact.email",
         "'parenting.example.org' is not an email address"),
    Case("website-without-scheme",
         replace("website: https://www.example.org/parenting",
                 "website: www.example.org/parenting"),
         "website: www.example.org/parenting", f"{S1}.contact.website",
         "is not a web address starting http:// or https://"),
    Case("phone-with-letters",
         replace("phone: 01632 960123", "phone: 01632 WOKING"),
         "phone: 01632 WOKING", f"{S0}.contact.phone", "'01632 WOKING' is not a phone number"),
    Case("contact-empty",
         replace("    contact:\n      phone: 01632 960123\n", "    contact: {}\n"),
         "contact: {}", f"{S0}.contact", "give at least one of phone, email or website"),
    # locations and schedule
    Case("latitude-without-longitude",
         replace("        postcode: GU21 2AA\n",
                 "        postcode: GU21 2AA\n        latitude: 51.318\n"),
         "- name: Woking Family Centre", f"{S0}.locations[0]",
         "give both latitude and longitude, or neither"),
    Case("unquoted-time",
         replace('closes: "11:30"', "closes: 11:30"),
         "closes: 11:30", f"{S0}.schedule[0].closes", "put times in quotes"),
    Case("unquoted-time-single-digit-hour",
         replace('opens: "09:30"', "opens: 9:30"),
         "opens: 9:30", f"{S0}.schedule[0].opens", "put times in quotes"),
    Case("closes-before-opens",
         replace('closes: "11:30"', 'closes: "09:00"'),
         'closes: "09:00"', f"{S0}.schedule[0].closes", "closes at 09:00, not after it opens at 09:30"),
    Case("unknown-day",
         replace("days: [mon, wed]", "days: [monday, wed]"),
         "- days: [monday, wed]", f"{S0}.schedule[0].days[0]", "'monday' is not a day"),
    # waiting time
    Case("waitlist-without-weeks",
         replace("      weeks: 6\n", ""),
         ("waiting_time:", 1), f"{S1}.waiting_time.weeks", "required with status waitlist"),
    Case("weeks-with-status-open",
         replace("      status: open\n", "      status: open\n      weeks: 3\n"),
         "weeks: 3", f"{S2}.waiting_time.weeks", "weeks goes only with status waitlist, not open"),
    Case("waiting-time-unknown-status",
         replace("status: open\n", "status: ajar\n"),
         "status: ajar", f"{S2}.waiting_time.status", "'ajar' is not one of: open"),
    Case("waiting-time-updated-in-future",
         replace("updated: 2025-10-01", "updated: 2999-01-01"),
         "updated: 2999-01-01", f"{S1}.waiting_time.updated", "2999-01-01 is in the future"),
    # the document
    Case("wrong-version",
         replace("version: 1\n", "version: 2\n"),
         "version: 2", "version", "this is format version 1; the file says 2"),
    Case("version-missing",
         replace("version: 1\n", ""),
         1, "version", "this is format version 1"),
    Case("section-missing",
         replace(BASE[BASE.index("directory:"):BASE.index("areas:")], ""),
         1, "directory", "required section missing"),
    Case("unknown-top-level-section",
         append("extras:\n  colour: blue\n"),
         "extras:", "extras", "unknown section 'extras'"),
    Case("duplicate-key",
         replace("    name: Stay and play\n",
                 "    name: Stay and play\n    name: Stay and play again\n"),
         "name: Stay and play again", f"{S0}.name", "this field appears twice"),
    Case("not-a-mapping",
         whole_file("- woking\n- runnymede\n"),
         1, "", "the file must be a mapping"),
    Case("yaml-bad-indentation",
         replace("    name: Stay and play\n", "     name: Stay and play\n"),
         "name: Stay and play", "", "not valid YAML"),
    Case("yaml-field-dedented",
         replace("    kind: community\n", "  kind: community\n"),
         "kind: community", "", "not valid YAML"),
    Case("yaml-tab-indentation",
         replace("    kind: commissioned\n", "\tkind: commissioned\n"),
         "kind: commissioned", "", "not valid YAML"),
    # PyYAML notices an unclosed quote later; the problem is reported where it opens.
    Case("yaml-unclosed-quote-at-end",
         replace('closes: "11:30"', 'closes: "11:30'),
         'closes: "11:30', "", "not valid YAML"),
    Case("yaml-unclosed-quote-closed-later",
         replace('opens: "09:30"', 'opens: "09:30'),
         'opens: "09:30', "", "not valid YAML"),
    Case("waiting-time-updated-with-a-time",
         replace("updated: 2025-10-15", "updated: 2025-10-15 09:00:00"),
         "updated: 2025-10-15 09:00:00", f"{S2}.waiting_time.updated", "without a time"),
    Case("parent-is-a-list",
         replace("parent: parenting\n", "parent: [parenting]\n"),
         "parent: [parenting]", "categories[1].parent", "not a list"),
]


def params(cases: list[Case]) -> list:
    result = []
    for case in cases:
        marks = ()
        if case.xfail:
            raises, reason = case.xfail
            marks = pytest.mark.xfail(strict=True, raises=raises, reason=reason)
        result.append(pytest.param(case, id=case.id, marks=marks))
    return result


def case_named(name: str) -> Case:
    return next(case for case in CASES if case.id == name)


# -- the base --------------------------------------------------------------------------

def test_the_base_document_imports_cleanly(empty_directory):
    report = import_text(BASE)
    assert report.warnings == []
    for list_name, created in (("areas", 2), ("categories", 3), ("organisations", 2),
                               ("services", 3)):
        assert report.counts[list_name]["created"] == created, report.lines()
    assert snapshot()[1] == {"Area": 2, "Category": 3, "Organisation": 2, "Service": 3,
                             "Location": 1, "Schedule": 1, "WaitingTime": 2}
    again = import_text(BASE)
    assert all(again.counts[name]["unchanged"] == count for name, count in
               (("areas", 2), ("categories", 3), ("organisations", 2), ("services", 3)))
    assert sum(sum(counts.values()) for counts in again.counts.values()) == 10


def test_every_case_edits_the_base_in_one_place():
    assert len({case.id for case in CASES}) == len(CASES)
    for case in CASES:
        broken = case.broken()
        case.line(broken)  # the expected line is there, once


def test_unquoted_time_with_a_leading_zero_is_read_as_text():
    # PyYAML reads 9:30, 10:30 and 11:30 unquoted as sexagesimal numbers (570, 630, 690),
    # which the cases above refuse; but 09:30 does not match that pattern and stays text,
    # so it is accepted as the time it says.
    text = replace('opens: "09:30"', "opens: 09:30")(BASE)
    schedule = parse_directory_file(text).services[0]["schedule"]
    assert schedule[0]["opens"] == "09:30"


# -- each broken file ---------------------------------------------------------------------

@pytest.mark.parametrize("case", params(CASES))
def test_broken_file_is_refused_with_line_and_path(empty_directory, case):
    import_text(BASE)
    before = snapshot()
    broken = case.broken()
    line, fragment = case.line(broken), case.fragment(broken)

    with pytest.raises(DirectoryFileInvalid) as refused:
        parse_directory_file(broken)
    problems = refused.value.problems
    found = matching(problems, line, case.path, fragment)
    assert found, f"expected line {line}: {case.path}: ...{fragment}...\n{described(problems)}"
    where = f"{case.path}: " if case.path else ""
    assert str(found[0]).startswith(f"line {line}: {where}")
    assert problems == sorted(problems, key=lambda p: (p.line, p.path))

    with pytest.raises(DirectoryFileInvalid):
        import_text(broken)
    assert snapshot() == before


def test_every_problem_is_reported_sorted_by_line(empty_directory):
    import_text(BASE)
    before = snapshot()
    broken = BASE
    for old, new in (("areas: [woking]\n", "areas: [wokingg]\n"),
                     ("email: parenting@example.org", "email: parenting.example.org"),
                     ("updated: 2025-10-15", "updated: 2999-01-01")):
        broken = replace(old, new)(broken)

    with pytest.raises(DirectoryFileInvalid) as refused:
        parse_directory_file(broken)
    problems = refused.value.problems
    assert [(p.line, p.path) for p in problems] == [
        (line_of(broken, "areas: [wokingg]"), f"{S0}.areas[0]"),
        (line_of(broken, "email: parenting.example.org"), f"{S1}.contact.email"),
        (line_of(broken, "updated: 2999-01-01"), f"{S2}.waiting_time.updated"),
    ], described(problems)
    assert "unknown area 'wokingg'" in problems[0].message
    assert "is not an email address" in problems[1].message
    assert "is in the future" in problems[2].message

    with pytest.raises(DirectoryFileInvalid):
        import_text(broken)
    assert snapshot() == before


# -- through the command line ----------------------------------------------------------

@pytest.mark.parametrize("case", params([case_named(name) for name in (
    "unknown-area", "summary-missing", "yaml-bad-indentation")]))
def test_command_refuses_a_broken_file(empty_directory, cli, tmp_path, case):
    import_text(BASE)
    before = snapshot()
    broken = case.broken()
    path = tmp_path / "services.yml"
    path.write_text(broken, encoding="utf-8")

    result = cli.invoke(args=["directory", "import", str(path)])

    assert result.exit_code != 0, result.output
    where = f"{case.path}: " if case.path else ""
    assert f"{path}:line {case.line(broken)}: {where}" in result.output, result.output
    assert case.fragment(broken) in result.output
    assert "nothing was imported" in result.output
    assert snapshot() == before


def test_command_dry_run_reports_changes_and_writes_nothing(empty_directory, cli, tmp_path):
    import_text(BASE)
    before = snapshot()
    changed = replace("summary: One-to-one support at home for families who are finding "
                      "things hard.",
                      "summary: One-to-one support at home, and by phone, for families.")(BASE)
    changed += (
        "  - id: runnymede-young-carers\n"
        "    organisation: runnymede-family-hub\n"
        "    name: Young carers group\n"
        "    summary: A monthly group for children who look after someone at home.\n"
        "    description: |\n"
        "      Time out, activities and someone to talk to.\n"
        "    kind: community\n"
        "    categories: [emotional-wellbeing]\n"
        "    areas: [all]\n"
        "    access: professional-referral\n"
        "    delivery: [in-person]\n"
        "    contact:\n"
        "      email: youngcarers@example.org\n"
    )
    path = tmp_path / "services.yml"
    path.write_text(changed, encoding="utf-8")

    result = cli.invoke(args=["directory", "import", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "services: 1 created, 1 updated, 2 unchanged, 0 kept, 0 pruned" in result.output
    assert "Dry run: nothing was written." in result.output
    assert snapshot() == before

    # The same file without --dry-run does change the directory.
    result = cli.invoke(args=["directory", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "services: 1 created, 1 updated, 2 unchanged" in result.output
    assert snapshot() != before
