"""A hostile tester's look at the case exports, the consent rule, and the duplicate
check of "Add several people": what an advocate's export, or a caseworker's form,
shows that consent or access should hide. Each test is one class of failure, driven
through the export page as an advocate would use it (or the add-people form).

Every person and case here is fictional.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from cases.models import GovernmentContact, Person
from cases.text import isolate
from tests.exports.conftest import MarkedCase, build_marked_case, consent
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("staff:exports:page")


@pytest.fixture
def marked_case(db) -> MarkedCase:
    """The export tests' case (tests/exports/conftest.py): a named mother abroad, her
    unnamed husband, son and daughter inside China."""
    return build_marked_case()


def advocacy_export(client, layout: str = "cases", fmt: str = "json") -> str:
    """The file the export page sends an advocate, as text."""
    data = {"level": "advocacy", "layout": layout, "format": fmt, "export": "1"}
    response = client.post(PAGE, data)
    assert response.status_code == 200, response.status_code
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def as_read(text: str) -> str:
    """What a reader of the file sees: invisible characters drawn as nothing, folded."""
    visible = "".join(c for c in text if unicodedata.category(c) != "Cf" and c != "\u0640")
    return unicodedata.normalize("NFKC", visible).casefold()


def contact_summary(case: MarkedCase, summary: str) -> None:
    """A government's answer on the case, about the father."""
    GovernmentContactFactory(
        family=case.family,
        separation=case.separations["father"],
        government="BE",
        body="Ministry of Foreign Affairs",
        direction=GovernmentContact.Direction.THEY_STATED,
        summary=summary,
    )


def unnamed_family(*names: dict) -> tuple:
    """A case whose reporting mother (abroad) agreed to be named, with one unnamed
    relative per `names` separated inside China."""
    family = FamilyFactory(reference="F-2026-0777", name="Family of a named mother")
    mother = PersonFactory(name_latin="Gulbahar Hesen", whereabouts="abroad")
    consent(mother, Person.Consent.NAMED)
    MembershipFactory(family=family, person=mother, role="mother")
    relatives = []
    for fields in names:
        relative = PersonFactory(**fields)
        MembershipFactory(family=family, person=relative, role="child")
        SeparationFactory(family=family, person=relative)
        relatives.append(relative)
    return family, relatives


# --- The consent rule misses the name --------------------------------------------------


def test_a_chinese_name_with_the_uyghur_middle_dot_is_missed_in_part(
    as_user, advocate, marked_case
):
    """Uyghur names in Chinese are written given name · father's name ("阿不都热依木·库尔班",
    the father's here). The rule keeps the whole dotted name as one word, so a text that
    writes either part alone, as Chinese text usually does, passes."""
    contact_summary(marked_case, "对方表示阿不都热依木仍被关押，库尔班家属不得探视。")

    exported = advocacy_export(as_user(advocate))

    assert "阿不都热依木" not in exported
    assert "库尔班" not in exported


def test_invisible_characters_inside_an_unconsented_name_hide_it_from_the_rule(
    as_user, advocate, marked_case
):
    """A soft hyphen (from a word processor's hyphenation), a zero-width space or a
    kashida (U+0640, Arabic-script justification) inside a name: a reader sees the name,
    the rule sees two words. Names may not hold them (cases/text.py), free text may."""
    contact_summary(
        marked_case,
        "Asked about Mehmet\u00adjan, Abdu\u200brehim and ئابدۇرـېھىم; no answer.",
    )

    exported = as_read(advocacy_export(as_user(advocate)))

    for name in ("mehmetjan", "abdurehim", "ئابدۇرېھىم"):
        assert name not in exported, name


def test_a_turkish_capital_dotted_i_hides_an_unconsented_name(as_user, advocate, marked_case):
    """Turkish writes the capital of i as İ, which folds to i + U+0307: "ABDUREHİM" (in a
    Turkish-speaking advocate's text) is not seen as Abdurehim."""
    contact_summary(marked_case, "Bakanlık ABDUREHİM'in durumunu soracak.")

    exported = as_read(advocacy_export(as_user(advocate)))

    assert "abdurehi" not in exported


def test_an_apostrophe_spelled_another_way_hides_an_unconsented_name(as_user, advocate):
    """Uyghur Latin marks a syllable break with an apostrophe (Ne'matjan); texts write it
    as ’ or leave it out. Either spelling of the name passes the rule."""
    family, _relatives = unnamed_family({"name_latin": "Ne'matjan Ablet"})
    TimelineEntryFactory(
        family=family, title="Ne’matjan was sentenced", publishable=True, source="Example"
    )
    GovernmentContactFactory(family=family, summary="Asked where Nematjan is held.")

    exported = as_read(advocacy_export(as_user(advocate)))

    assert "matjan" not in exported


def test_a_named_person_known_only_by_description_shows_it_and_names_a_relative(as_user, advocate):
    """A child whose name is not known yet is described ("daughter of …", an internal
    field); with consent "named" the advocacy label is that description, unchecked, so
    it names the unnamed father, with the full birth date."""
    family, [father] = unnamed_family({"name_latin": "Tursunjan Ablet"})
    daughter = PersonFactory(
        name_latin="", description="daughter of Tursunjan, held with him", birth_date="2016-03-04"
    )
    consent(daughter, Person.Consent.NAMED)
    MembershipFactory(family=family, person=daughter, role="child")
    SeparationFactory(family=family, person=daughter)

    client = as_user(advocate)
    for layout, fmt in (("cases", "csv"), ("people", "csv"), ("cases", "json")):
        exported = advocacy_export(client, layout, fmt)
        assert "Tursunjan" not in exported, (layout, fmt)
        assert "held with him" not in exported, (layout, fmt)


def test_a_charge_naming_an_unconsented_relative_is_exported_as_is(as_user, advocate, marked_case):
    """A person's charge is free text ("as stated by the authorities"); the timeline's
    copy of a charge is held to consent, the person's own field is not: it reaches the
    people CSV and the JSON members (and from them the UN forms)."""
    father = marked_case.people["father"]
    father.charge = "Sending money to his son Mehmetjan"
    father.condition = Person.Condition.IMPRISONED
    father.save()

    client = as_user(advocate)
    assert "Mehmetjan" not in advocacy_export(client, "people", "csv")
    members = json.loads(advocacy_export(client))["cases"][0]["members"]
    assert all("Mehmetjan" not in (m["charge"] or "") for m in members)


# --- The duplicate check of "Add several people" ----------------------------------------


def test_a_possible_duplicate_lists_the_references_of_cases_one_cannot_open(
    as_user, worker, other_worker, admin_form
):
    """Someone on my case is also on a restricted case of another caseworker's. Adding
    a similar name to my case lists the match with every case they are on, the hidden
    one's reference too."""
    mine = FamilyFactory(name="Tohti", reference="F-2026-0401")
    mine.caseworkers.add(worker)
    hidden = FamilyFactory(name="Qadir", reference="F-2026-0402", restricted=True)
    hidden.caseworkers.add(other_worker)
    someone = PersonFactory(name_latin="Ablikim Qadir", birth_date="2001")
    MembershipFactory(family=mine, person=someone)
    MembershipFactory(family=hidden, person=someone)

    client = as_user(worker)
    url = reverse("admin:cases_family_add_people", args=[mine.pk])
    data = admin_form(client.get(url))
    data.update(people="Ablekim Kadir, 2001")
    response = client.post(url, data)

    assert response.status_code == 200
    [_heading, line] = response.context["adminform"].form.errors["not_a_duplicate"]
    assert line.startswith(f"{isolate('Ablekim Kadir')}: ")
    assert "F-2026-0401" in line  # the match on my own case is shown
    assert "F-2026-0402" not in line
    assert "F-2026-0402" not in response.text


def test_a_source_link_naming_an_unconsented_person_is_exported_as_is(
    as_user, advocate, marked_case
):
    """A publishable timeline entry's title, description and source are held to
    consent; its link is not, and news sites put the name in the address."""
    TimelineEntryFactory(
        family=marked_case.family,
        title="Sentenced, a newspaper reports",
        source="Example Gazette",
        source_url="https://news.example/2019/abdurehim-qurban-sentenced",
        publishable=True,
    )

    exported = advocacy_export(as_user(advocate)).casefold()

    assert "abdurehim" not in exported


# --- Bad input -----------------------------------------------------------------------


def test_a_nul_byte_in_the_selected_references_is_a_server_error(as_user, advocate):
    """The family list's selection (`references`, comma-separated) is the one filter
    without Django's NUL check: on PostgreSQL the query fails, a 500 (SQLite lets it
    through, so this fails on PostgreSQL only, the database the site runs on)."""
    client = as_user(advocate)

    assert client.get(PAGE, {"references": "F-2026-0001,\x00"}).status_code < 500
    assert client.post(PAGE, {"references": "\x00", "level": "advocacy"}).status_code < 500
