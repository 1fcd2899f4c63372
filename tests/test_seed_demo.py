from io import StringIO

import pytest
from django.core.management import call_command

from cases.models import Family, GovernmentContact, Person, Separation, StatusChange
from cases.timeline import case_timeline

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
