from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.models import (
    ConditionChange,
    Family,
    GovernmentContact,
    Person,
    Separation,
    StatusChange,
)
from cases.partial_dates import PartialDate
from cases.text import isolate
from cases.timeline import ItemKind, case_timeline

pytestmark = pytest.mark.django_db


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_covers_every_kind_of_case_and_prints_a_working_login(client, settings):
    settings.DEBUG = True  # the demo login exists only in development
    output = seed()

    password = output.split("password: ")[1].split()[0]
    recovery_code = output.split("each works once):")[1].split()[0]
    client.post("/staff/login/", {"username": "demo.caseworker", "password": password})
    client.post("/staff/login/verify/", {"code": recovery_code})
    assert client.get("/admin/cases/family/").status_code == 200
    assert set(Family.objects.values_list("status", flat=True)) >= {
        "intake",
        "active",
        "advocacy",
        "reunited",
    }
    assert set(Separation.objects.values_list("circumstance", flat=True)) == set(
        Separation.Circumstance.values
    )
    conditions = set(Person.objects.values_list("condition", flat=True))
    assert conditions >= {"imprisoned", "state_care", "detained_in_camp", "missing", "refugee"}
    assert GovernmentContact.objects.filter(body_kind="chinese_authorities").exists()
    assert Family.objects.follow_up_overdue().exists()
    assert Family.objects.without_recent_contact(days=90).exists()


def test_seed_demo_builds_timelines_through_the_services():
    seed("--no-login")

    family = Family.objects.get(name="Rozi")
    titles = [item.title for item in case_timeline(family)]

    assert StatusChange.objects.filter(family=family, from_status="", to_status="intake").exists()
    assert "Case: Active → Advocacy" in titles
    assert any("Reported → Exit permitted or visa issued" in t for t in titles)


def test_seed_demo_can_run_twice_without_duplicating_cases():
    seed("--no-login")
    count = Family.objects.count()

    seed("--no-login")

    assert Family.objects.count() == count == 6


def test_demo_people_are_fictional():
    seed("--no-login")
    names = " ".join(Person.objects.values_list("name_latin", flat=True))

    # Names of real people in the source articles must never appear in demo data.
    for real in ("Mamutjan", "Muherrem", "Muhlise", "Ablikim", "Mihriban", "Ablimit", "Huriyet"):
        assert real not in names


# --- The demo timelines read as stories (issue 7) --------------------------------------


def story(family):
    return [(str(item.date), item.kind, item.title) for item in case_timeline(family)]


def test_demo_timelines_have_no_item_dated_today_except_the_case_reported_today():
    seed("--no-login")
    today = PartialDate.from_date(timezone.localdate())

    dated_today = [
        (family.name, item.title)
        for family in Family.objects.all()
        for item in case_timeline(family)
        if item.date == today
    ]

    # Memet came to us today: the case opened and its separation was reported today.
    assert dated_today == [
        ("Memet", "Case: Intake"),
        ("Memet", f"{isolate('Memet Imin')} ({isolate('مەمەت ئىمىن')}): Reported"),
    ]


def test_a_demo_timeline_reads_in_story_order_at_the_precision_each_thing_is_known():
    seed("--no-login")
    mother = f"{isolate('Gulnar Ehmet')} ({isolate('گۈلنار ئەھمەت')})"
    office = isolate("Regional government information office")

    titles = story(Family.objects.get(name="Yasin"))

    # Key moments, in the order they happened; other items fall in between.
    expected = [
        ("2015-04", ItemKind.SEPARATION, f"{mother} separated from the family"),
        ("2017", ItemKind.CONDITION, f"{mother}: Detained in a camp"),
        ("2018-03-06", ItemKind.STATUS, "Case: Intake"),
        ("2018-04", ItemKind.STATUS, "Case: Intake → Active"),
        ("2018-11", ItemKind.RESPONSE, f"Response from {isolate('Department of Home Affairs')}"),
        ("2021-03-15", ItemKind.CONTACT, f"We asked: {office}"),
        ("2021-03-22", ItemKind.CONTACT, f"We asked: {office}"),
        # Known only to the month: after the days of March.
        ("2021-03", ItemKind.STATUS, "Case: Active → Advocacy"),
        ("2021-04-02", ItemKind.CONDITION, f"{mother}: Detained in a camp → Imprisoned"),
        ("2021-04-02", ItemKind.CONTACT, f"They stated: {office}"),
        ("2021-04", ItemKind.ENTRY, "State television airs an interview with the daughter"),
    ]
    positions = [titles.index(moment) for moment in expected]
    assert positions == sorted(positions)
    # What the caseworker did in the last weeks comes last.
    assert titles[-1][1] == ItemKind.FOLLOW_UP


def test_demo_people_have_dated_sourced_histories_and_some_are_known_only_by_description():
    seed("--no-login")

    for person in Person.objects.all():
        latest = person.condition_changes.order_by("effective_on", "recorded_at").last()
        assert latest is not None, person
        assert (latest.condition, latest.whereabouts) == (person.condition, person.whereabouts)
        assert latest.source
    recorded = set(ConditionChange.objects.values_list("condition", flat=True))
    assert recorded == set(Person.Condition.values) - {"unknown"}
    unnamed = Person.objects.filter(name_latin="", name_uyghur="", name_chinese="")
    assert unnamed.count() >= 2
    assert all(person.description and person.birth_date_approximate for person in unnamed)


def test_demo_contacts_use_partial_dates_and_the_new_outcomes():
    seed("--no-login")
    contacts = GovernmentContact.objects.all()

    assert {contact.contacted_on.precision for contact in contacts} == {"year", "month", "day"}
    assert {"statement", "refused"} <= set(contacts.values_list("outcome", flat=True))
    through = contacts.filter(channel="intermediary")
    assert through.exists()
    assert all(contact.intermediary for contact in through)
