"""The weekly digest: references and counts only, never a name or a detail; once a week
per person however often it runs; not for those who turned it off; scheduled weekly."""

import datetime as dt
import re
import smtplib
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cases import digest
from cases.models import (
    AuditEvent,
    DigestPreference,
    Person,
    Petition,
    PetitionText,
    StatusChange,
    WeeklyDigest,
)
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    SeparationFactory,
    TeamFactory,
    TimelineEntryFactory,
    UserFactory,
)
from tests.security.hostile import plant_markers
from tests.security.test_password_reset_abuse import run_worker_once

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued(settings):
    """Tasks wait in the database for `manage.py db_worker`, as in production."""
    settings.TASKS = DATABASE_TASKS


def days_ago(days):
    return timezone.localdate() - dt.timedelta(days=days)


def mails_to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def everything_in(message):
    return "\n".join([message.subject, message.body, *map(str, message.extra_headers.values())])


# Names, places, conditions and details the fixture is full of; none may leave by mail.
SECRETS = [
    "Mamutjan",
    "Ablikimova",
    "مەمەتجان",
    "买买提江",
    "Memetjan",
    "Tursunfamily",
    "Kashgar",
    "Detained in a camp",
    "Number Three Camp",
    "Ministry of Sample Affairs",
    "Official Quietname",
    "Asked about the camp",
    "Entry about his trial",
    "free-mamutjan",
    "Free Mamutjan",
    "Team Dilnur",
    "omar",  # who changed the case
    "Australia",
]


@pytest.fixture
def case_full_of_names(worker, other_worker):
    """A case with something in every list of the dashboard, and names everywhere."""
    team = TeamFactory(name="Team Dilnur", members=[worker])
    family = FamilyFactory(
        reference="F-2026-0012", name="Tursunfamily", team=team, host_country="AU"
    )
    family.caseworkers.add(worker)
    person = Person.objects.create(
        name_latin="Mamutjan Ablikimova",
        name_uyghur="مەمەتجان",
        name_chinese="买买提江",
        aliases="Memetjan",
        whereabouts=Person.Whereabouts.UYGHUR_REGION,
        condition=Person.Condition.DETAINED_IN_CAMP,
        detention_place_prefecture="kashgar",
        location_place="Number Three Camp",
    )
    MembershipFactory(family=family, person=person)
    separation = SeparationFactory(
        family=family, person=person, last_seen_prefecture="kashgar", details="Taken at night"
    )
    change = StatusChange.objects.create(
        family=family,
        separation=separation,
        to_status="reported",
        effective_on="2018",
        note="He was seen in Kashgar",
        changed_at=timezone.now() - dt.timedelta(days=500),
    )
    contact = GovernmentContactFactory(
        family=family,
        body="Ministry of Sample Affairs",
        official="Official Quietname",
        summary="Asked about the camp",
        follow_up_on=days_ago(3),
    )
    entry = TimelineEntryFactory(family=family, title="Entry about his trial")
    second = FamilyFactory(reference="F-2026-0031", name="Second Tursunfamily")
    second.caseworkers.add(worker)
    GovernmentContactFactory(
        family=second, follow_up_on=days_ago(10), body="Ministry of Sample Affairs"
    )
    AuditEvent.objects.create(
        actor=other_worker,
        action=AuditEvent.Action.CHANGE,
        object_type="cases.family",
        object_id=str(family.pk),
        case_reference=family.reference,
        fields=["name", "internal_summary"],
    )
    petition = Petition.objects.create(
        slug="free-mamutjan",
        addressee_name="Minister Example",
        status=Petition.Status.PUBLISHED,
        signature_count=1234,
    )
    PetitionText.objects.create(
        petition=petition, language="en", title="Free Mamutjan", summary="S", letter="L"
    )
    petition.families.add(family)
    markers = plant_markers(family, person, separation, change, entry, contact)
    return family, markers


def test_the_digest_holds_references_and_counts_and_no_name_place_or_detail(
    worker, case_full_of_names
):
    _family, markers = case_full_of_names

    digest.weekly_digest.call()

    [message] = mails_to(worker)
    text = everything_in(message)
    for secret in [*SECRETS, *markers.values]:
        assert secret not in text, secret
    assert "2 follow-ups overdue: F-2026-0031, F-2026-0012" in message.body
    assert (
        "2 cases with no contact with the family or a government for 90+ days: "
        "F-2026-0012, F-2026-0031"
    ) in text
    assert "1 separated person whose status has not changed for a year: F-2026-0012" in text
    assert "1 change by others in the last 7 days: F-2026-0012" in text
    assert "1 open petition, 1,234 signatures in all: F-2026-0012" in text
    assert reverse("admin:index") in message.body


def test_the_uyghur_digest_holds_no_name_or_detail_either(worker, case_full_of_names):
    _family, markers = case_full_of_names
    digest.digest_preference_set(user=worker, weekly_digest=True, language="ug")

    digest.weekly_digest.call()

    [message] = mails_to(worker)
    assert "F-2026-0012" in message.body
    for secret in [*SECRETS, *markers.values]:
        assert secret not in everything_in(message), secret


def test_the_digest_is_only_for_staff_who_follow_cases_and_did_not_turn_it_off(
    worker, other_worker, supervisor, advocate, petition_editor, case_full_of_names
):
    digest.digest_preference_set(user=other_worker, weekly_digest=False)
    family, _markers = case_full_of_names
    theirs = FamilyFactory(reference="F-2026-0500")  # so they would have a digest
    theirs.caseworkers.add(other_worker)
    GovernmentContactFactory(family=theirs, follow_up_on=days_ago(1))
    gone = UserFactory(username="gone", is_staff=True, is_active=False)
    no_address = UserFactory(username="noaddress", email="", is_staff=True)
    for user in (gone, no_address):
        user.groups.set(worker.groups.all())
        family.caseworkers.add(user)

    digest.weekly_digest.call()

    assert sorted(address for message in mail.outbox for address in message.to) == [
        "sara@example.org",
        "wahid@example.org",
    ]


def test_a_second_run_in_the_same_week_sends_nothing_more(worker, supervisor, case_full_of_names):
    digest.weekly_digest.call()
    digest.weekly_digest.call()
    call_command("weekly_digest", stdout=StringIO())

    assert len(mails_to(worker)) == 1
    assert len(mails_to(supervisor)) == 1
    assert WeeklyDigest.objects.filter(week=digest.this_week()).count() == 2


def test_a_digest_claimed_by_another_worker_is_not_sent_again(worker, case_full_of_names):
    # The other worker's row: on PostgreSQL this insert waits for its transaction, then
    # fails on the unique constraint, as it does here at once.
    WeeklyDigest.objects.create(user=worker, week=digest.this_week())

    assert digest.digest_send(user=worker, week=digest.this_week()) is False
    assert not mail.outbox
    with pytest.raises(IntegrityError):
        WeeklyDigest.objects.create(user=worker, week=digest.this_week())


def test_a_digest_queued_last_week_is_not_sent_this_week(worker, case_full_of_names):
    last_week = digest.iso_week(days_ago(7))

    digest.send_weekly_digest.call(user_id=worker.pk, week=last_week)

    assert not mail.outbox


def test_nothing_to_report_sends_no_mail(worker):
    digest.weekly_digest.call()

    assert not mail.outbox
    assert not WeeklyDigest.objects.exists()


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_a_mail_outage_sends_nothing_records_nothing_and_retries_later(
    worker, case_full_of_names, queued, monkeypatch
):
    def refuse(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    digest.send_weekly_digest.enqueue(user_id=worker.pk, week=digest.this_week())

    run_worker_once()

    assert not WeeklyDigest.objects.exists()  # rolled back with the failed send
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 1
    assert retry.run_after > timezone.now() + dt.timedelta(seconds=50)

    monkeypatch.undo()  # the server is back
    DBTaskResult.objects.update(run_after=timezone.now() - dt.timedelta(seconds=1))
    run_worker_once()

    assert len(mails_to(worker)) == 1
    assert WeeklyDigest.objects.filter(user=worker).count() == 1


def test_a_refused_address_is_not_tried_again(worker, case_full_of_names, monkeypatch, queued):
    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({worker.email: (550, b"no such user")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)

    digest.send_weekly_digest.call(user_id=worker.pk, week=digest.this_week())

    assert not DBTaskResult.objects.exists()


# --- Scheduled weekly ----------------------------------------------------------------


def test_the_next_run_is_the_next_monday_morning():
    tz = timezone.get_current_timezone()
    wednesday = dt.datetime(2026, 12, 2, 15, 0, tzinfo=tz)
    monday_early = dt.datetime(2026, 12, 7, 5, 0, tzinfo=tz)
    monday_late = dt.datetime(2026, 12, 7, 6, 0, tzinfo=tz)

    assert digest.next_run(wednesday) == dt.datetime(2026, 12, 7, 6, 0, tzinfo=tz)
    assert digest.next_run(monday_early) == dt.datetime(2026, 12, 7, 6, 0, tzinfo=tz)
    assert digest.next_run(monday_late) == dt.datetime(2026, 12, 14, 6, 0, tzinfo=tz)


def test_scheduling_queues_one_weekly_run_however_often_it_is_asked(queued):
    out = StringIO()
    call_command("weekly_digest", "--schedule", stdout=out)
    call_command("weekly_digest", "--schedule", stdout=out)

    [row] = DBTaskResult.objects.filter(task_path="cases.digest.weekly_digest")
    assert row.run_after == digest.next_run(timezone.now())
    assert row.args_kwargs["kwargs"] == {"repeat": True}
    assert "queued already" in out.getvalue()


def test_each_weekly_run_queues_the_next(queued, worker):
    digest.weekly_digest.call(repeat=True)

    [row] = DBTaskResult.objects.filter(task_path="cases.digest.weekly_digest")
    assert row.run_after > timezone.now() + dt.timedelta(hours=1)


# --- The staff member's choice -------------------------------------------------------


def test_a_caseworker_turns_the_digest_off_and_on_on_their_account_page(as_user, worker):
    client = as_user(worker)
    url = reverse("staff:weekly_digest")
    page = client.get(url).content.decode()
    assert re.search(r'<input[^>]*name="weekly_digest"[^>]*checked', page)  # on unless off

    response = client.post(url, {})  # the box unticked

    assert response.status_code == 302
    assert DigestPreference.objects.get(user=worker).weekly_digest is False
    [event] = AuditEvent.objects.filter(object_type="cases.digestpreference")
    assert (event.actor, event.action) == (worker, AuditEvent.Action.CHANGE)
    assert "weekly_digest" in event.fields  # by name, never the value
    assert worker not in digest.recipients()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ug"  # the page in Uyghur
    client.post(url, {"weekly_digest": "on"})
    preference = DigestPreference.objects.get(user=worker)
    assert (preference.weekly_digest, preference.language) == (True, "ug")
    assert worker in digest.recipients()


def test_the_digest_page_is_only_for_verified_staff(client, worker):
    client.force_login(worker)  # password only, no second factor

    response = client.get(reverse("staff:weekly_digest"))

    assert response.status_code == 302
    assert not DigestPreference.objects.exists()
