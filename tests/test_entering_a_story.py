"""Issue 7's "what done looks like": a news story entered today, through the admin as a
caseworker enters it, gives timelines that read in the order the story tells it, each
item at the precision the story gives, and nothing dated today but what happened today.

The story has the shape of an April 2021 news report about two families (every name
and place here is invented): a father abroad whose wife went home to renew documents
"five years ago" (2016) with their two children, and was later said by the government
to have been sentenced to nine years; parents who fled in 2016 leaving four children,
who were stopped collecting their visas at a consulate in June 2020 and placed in a
state orphanage. A broadcaster asked the government for a response on March 15 and
March 22 and got a one-page statement on April 2; on April 8 a minister said in
parliament that the children's visas were valid.

Each request is its own transaction, as on a real site, so that items of the same date
and precision keep the order they were entered in (their recorded time) on PostgreSQL.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Family, Membership, Person, Separation
from cases.partial_dates import PartialDate
from cases.text import isolate
from cases.timeline import ItemKind, case_timeline

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = str(PartialDate.from_date(timezone.localdate()))
PERSON_ADD = reverse("admin:cases_person_add")
FAMILY_ADD = reverse("admin:cases_family_add")
BROADCASTER = "Example World News (a broadcaster)"
OFFICE = "Regional government information office"


@pytest.fixture
def enter(caseworker_client, admin_form):
    """Post an admin form as the caseworker fills it in; returns the saved object."""

    def post(url, model, **fields):
        data = admin_form(caseworker_client.get(url))
        inlines = fields.pop("inlines", {})
        data.update(fields)
        for prefix, rows in inlines.items():
            for row in rows:
                data.add_inline(prefix, **row)
        response = caseworker_client.post(url, data)
        assert response.status_code == 302, response.context["errors"]
        return model.objects.order_by("-pk").first() if url.endswith("/add/") else None

    return post


def add_person(enter, **fields):
    return enter(PERSON_ADD, Person, **fields)


def change_person(enter, person, **fields):
    enter(reverse("admin:cases_person_change", args=[person.pk]), Person, **fields)


def asked(on, summary):
    return {
        "contacted_on": on,
        "direction": "we_asked",
        "channel": "intermediary",
        "intermediary": BROADCASTER,
        "government": "CN",
        "body_kind": "chinese_authorities",
        "body": OFFICE,
        "summary": summary,
    }


def stated(on, summary, **fields):
    return {
        **asked(on, summary),
        "direction": "they_stated",
        "outcome": "statement",
        **fields,
    }


def add_family(enter, name, country, reporting, members, separations, contacts, entries=()):
    return enter(
        FAMILY_ADD,
        Family,
        name=name,
        host_country=country,
        reporting_contact=str(reporting.pk),
        inlines={
            "memberships": [{"person": str(p.pk), "role": role} for p, role in members],
            "separations": [
                {
                    "person": str(person.pk),
                    "status": "reported",
                    "separated_from": [str(p.pk) for p in separated_from],
                    "since": since,
                    "circumstance": circumstance,
                }
                for person, separated_from, since, circumstance in separations
            ],
            "government_contacts": list(contacts),
            "entries": list(entries),
        },
    )


def story(family):
    return [(str(item.date), item.kind, item.title) for item in case_timeline(family)]


def named(latin, uyghur=""):
    return f"{isolate(latin)} ({isolate(uyghur)})" if uyghur else isolate(latin)


def test_a_father_abroad_whose_wife_was_sentenced_reads_as_the_story_tells_it(
    enter, caseworker_client
):
    father = add_person(
        enter, name_latin="Erkin Qasim", whereabouts="abroad", location_country="AU"
    )
    mother = add_person(
        enter, name_latin="Nigare Hoshur", name_uyghur="نىگارە خوشۇر", whereabouts="uyghur_region"
    )
    daughter = add_person(
        enter,
        name_latin="Mehrigul Erkin",
        birth_date="10 years old in 2021",
        whereabouts="uyghur_region",
    )
    son = add_person(
        enter,
        name_latin="",
        description="son of Erkin Qasim",
        birth_date="about 2015",
        whereabouts="uyghur_region",
    )
    asked_first = "The broadcaster asked for a response to the family's account."
    asked_again = "Detailed follow-up questions before the broadcast."
    statement = "Says the mother was sentenced to nine years; calls the father an extremist."
    family = add_family(
        enter,
        "Qasim",
        "AU",
        father,
        [(father, "father"), (mother, "mother"), (daughter, "child"), (son, "child")],
        [(p, [father], "2016", "document_trip") for p in (mother, daughter, son)],
        [
            asked("2021-03-15", asked_first),
            asked("2021-03-22", asked_again),
            stated("2021-04-02", statement),
        ],
    )
    # What the statement says about the mother, entered after it, as the story tells it.
    change_person(
        enter,
        mother,
        condition="imprisoned",
        charge="Inciting ethnic hatred (as stated by the authorities)",
        sentence_years="9",
        condition_effective_on="2021-04-02",
        condition_source="Government statement sent to the broadcaster",
    )

    items = case_timeline(family)

    mother_name = named("Nigare Hoshur", "نىگارە خوشۇر")
    son_name = f"{isolate('son of Erkin Qasim')}, born about 2015"
    assert story(family) == [
        ("2016", ItemKind.SEPARATION, f"{mother_name} separated from the family"),
        ("2016", ItemKind.SEPARATION, f"{named('Mehrigul Erkin')} separated from the family"),
        ("2016", ItemKind.SEPARATION, f"{son_name} separated from the family"),
        ("2021-03-15", ItemKind.CONTACT, f"We asked: {isolate(OFFICE)}"),
        ("2021-03-22", ItemKind.CONTACT, f"We asked: {isolate(OFFICE)}"),
        ("2021-04-02", ItemKind.CONTACT, f"They stated: {isolate(OFFICE)}"),
        ("2021-04-02", ItemKind.CONDITION, f"{mother_name}: Unknown → Imprisoned"),
        # What happened today: the case was opened and its separations reported.
        (TODAY, ItemKind.STATUS, "Case: Intake"),
        (TODAY, ItemKind.STATUS, f"{mother_name}: Reported"),
        (TODAY, ItemKind.STATUS, f"{named('Mehrigul Erkin')}: Reported"),
        (TODAY, ItemKind.STATUS, f"{son_name}: Reported"),
    ]
    assert [item.date.precision for item in items[:7]] == ["year"] * 3 + ["day"] * 4
    contacts = {item.detail: item for item in items if item.kind == ItemKind.CONTACT}
    assert [contacts[text].outcome for text in (asked_first, asked_again, statement)] == [
        "No response yet",
        "No response yet",
        "Made a statement",
    ]
    assert {contacts[text].source for text in contacts} == {BROADCASTER}
    sentence = next(item for item in items if item.kind == ItemKind.CONDITION)
    assert "Sentenced to 9 years" in sentence.detail
    assert "Charge: Inciting ethnic hatred (as stated by the authorities)" in sentence.detail
    daughter.refresh_from_db()
    assert (str(daughter.birth_date), daughter.birth_date_approximate) == ("2011", True)

    # The family page shows the same story, newest first, each date at its precision.
    page = caseworker_client.get(reverse("admin:cases_family_change", args=[family.pk]))
    html = page.content.decode()
    shown = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html[html.index("timeline") :])
    assert [when for when, _text in shown] == [when for when, *_ in story(family)][::-1]
    assert ("2021-04-02", "April 2, 2021") in shown
    assert ("2016", "2016") in shown


def test_children_left_behind_and_placed_in_an_orphanage_read_as_the_story_tells_it(enter):
    father = add_person(
        enter, name_latin="Nurali Sattar", whereabouts="abroad", location_country="IT"
    )
    mother = add_person(
        enter, name_latin="Reyhan Qurban", whereabouts="abroad", location_country="IT"
    )
    children = [
        add_person(enter, whereabouts="uyghur_region", **fields)
        for fields in (
            {"name_latin": "Saadet Nurali", "birth_date": "17 years old in 2021"},
            {"name_latin": "Bilal Nurali"},
            {"name_latin": "", "description": "third child of Nurali Sattar"},
            {
                "name_latin": "",
                "description": "youngest child of Nurali Sattar",
                "birth_date": "12 years old in 2021",
            },
        )
    ]
    family = add_family(
        enter,
        "Sattar",
        "IT",
        mother,
        [(father, "father"), (mother, "mother"), *((child, "child") for child in children)],
        [(child, [father, mother], "2016", "left_behind") for child in children],
        [
            asked("2021-03-15", "The broadcaster asked for a response."),
            asked("2021-03-22", "Detailed follow-up questions."),
            stated("2021-04-02", "Says the children lead a normal life and attend school."),
            stated(
                "2021-04-08",
                "The children's visas are valid; the embassy is ready to receive them.",
                government="IT",
                body_kind="parliament",
                body="Foreign affairs committee of parliament",
                official="Undersecretary for Foreign Affairs",
                channel="parliamentary",
                intermediary="",
                outcome="promised",
            ),
        ],
        [
            {
                "occurred_on": "2020-06",
                "kind": "media",
                "title": "Stopped by the police when collecting their visas at the consulate",
                "source": BROADCASTER,
                "reliability": "media_report",
            }
        ],
    )
    for child in children:  # then placed in a state orphanage
        change_person(
            enter,
            child,
            condition="state_care",
            location_place="State orphanage in their home town",
            condition_effective_on="2020-06",
            condition_source=BROADCASTER,
        )

    items = case_timeline(family)

    labels = [str(Person.objects.get(pk=child.pk)) for child in children]
    orphanage = "In a state orphanage or boarding school"
    assert story(family) == [
        *(("2016", ItemKind.SEPARATION, f"{who} separated from the family") for who in labels),
        (
            "2020-06",
            ItemKind.ENTRY,
            "Stopped by the police when collecting their visas at the consulate",
        ),
        *(("2020-06", ItemKind.CONDITION, f"{who}: Unknown → {orphanage}") for who in labels),
        ("2021-03-15", ItemKind.CONTACT, f"We asked: {isolate(OFFICE)}"),
        ("2021-03-22", ItemKind.CONTACT, f"We asked: {isolate(OFFICE)}"),
        ("2021-04-02", ItemKind.CONTACT, f"They stated: {isolate(OFFICE)}"),
        (
            "2021-04-08",
            ItemKind.CONTACT,
            f"They stated: {isolate('Foreign affairs committee of parliament')}",
        ),
        (TODAY, ItemKind.STATUS, "Case: Intake"),
        *((TODAY, ItemKind.STATUS, f"{who}: Reported") for who in labels),
    ]
    assert [item.date.precision for item in items[:13]] == (
        ["year"] * 4 + ["month"] * 5 + ["day"] * 4
    )
    parliament = items[12]
    assert (parliament.who, parliament.outcome) == (
        "Undersecretary for Foreign Affairs",
        "Promised action",
    )
    assert labels[3] == f"{isolate('youngest child of Nurali Sattar')}, born about 2009"
    assert Separation.objects.filter(family=family).count() == 4
    assert Membership.objects.filter(family=family).count() == 6
