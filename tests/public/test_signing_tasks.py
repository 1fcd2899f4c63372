"""The signing path's background work: the confirmation mail queued with the signature
(never lost, never twice), a mail outage retried with backoff, expiry of unconfirmed
signatures, anonymisation six months after closing, and what the mails never hold."""

import datetime as dt
import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cases import petitions
from cases.models import AuditEvent, PetitionEvent, Signature
from cases.public import counting, pages, tasks
from tests.public.conftest import sign
from tests.public.signing_kit import all_text, confirm_link, links, post_sign
from tests.security.hostile import assert_no_markers, plant_markers
from tests.security.test_password_reset_abuse import run_worker_once

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued(settings):
    """Tasks wait in the database for `manage.py db_worker`, as in production."""
    settings.TASKS = DATABASE_TASKS


def queued_rows(name: str):
    return DBTaskResult.objects.filter(task_path=f"cases.public.tasks.{name}")


@pytest.fixture
def mail_server_down(monkeypatch):
    def refuse(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    return monkeypatch


def make_due(rows) -> None:
    """The time of a retry has come."""
    rows.update(run_after=timezone.now() - dt.timedelta(seconds=1))


# --- Never lost, never twice ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_the_confirmation_task_is_stored_with_the_signature_and_sent_by_the_worker(
    client, petition, queued
):
    post_sign(client, petition)

    # The request ended after the insert: no mail yet, the task's row is there.
    assert not mail.outbox
    [row] = queued_rows("send_confirmation")
    assert row.status == "READY"
    assert row.args_kwargs["kwargs"]["signature_id"] == Signature.objects.get().pk
    assert "ayla" not in str(row.args_kwargs)  # the task row holds no address

    run_worker_once()  # a worker started later, after the one that died
    run_worker_once()

    assert [m.to for m in mail.outbox] == [["ayla@example.org"]]


def test_a_failed_sign_transaction_leaves_no_task(client, petition, queued, monkeypatch):
    class Broken:
        def enqueue(self, **kwargs):
            raise RuntimeError("the process died between the two inserts")

    monkeypatch.setattr(tasks, "send_confirmation", Broken())

    with pytest.raises(RuntimeError):
        post_sign(client, petition)

    assert not Signature.objects.exists()  # rolled back with it: nothing half-way
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_a_mail_outage_keeps_the_signature_and_retries_with_backoff(
    client, petition, queued, mail_server_down
):
    post_sign(client, petition)

    run_worker_once()

    assert Signature.objects.get().state == Signature.State.PENDING  # kept
    retry = queued_rows("send_confirmation").get(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 1
    wait = retry.run_after - timezone.now()
    assert dt.timedelta(seconds=50) < wait <= tasks.retry_delay(0)

    make_due(queued_rows("send_confirmation").filter(status="READY"))
    run_worker_once()
    second = queued_rows("send_confirmation").get(status="READY")
    assert second.args_kwargs["kwargs"]["attempt"] == 2
    assert second.run_after - timezone.now() > dt.timedelta(seconds=110)  # backing off

    mail_server_down.undo()  # the server is back
    make_due(queued_rows("send_confirmation").filter(status="READY"))
    run_worker_once()
    run_worker_once()

    assert len(mail.outbox) == 1
    assert not queued_rows("send_confirmation").filter(status="READY").exists()


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_the_retries_stop_after_the_last_attempt(client, petition, queued, mail_server_down):
    post_sign(client, petition)

    for _ in range(tasks.MAX_ATTEMPTS + 2):
        make_due(queued_rows("send_confirmation").filter(status="READY"))
        run_worker_once()

    assert queued_rows("send_confirmation").count() == tasks.MAX_ATTEMPTS
    assert not queued_rows("send_confirmation").filter(status="READY").exists()


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_a_recipient_the_server_refuses_is_not_tried_again(client, petition, queued, monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"ayla@example.org": (550, b"no such user")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    post_sign(client, petition)

    run_worker_once()

    assert queued_rows("send_confirmation").count() == 1


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_a_retry_after_the_signer_confirmed_sends_nothing(
    client, petition, queued, mail_server_down
):
    post_sign(client, petition)
    run_worker_once()  # fails, a retry is queued
    mail_server_down.undo()
    Signature.objects.update(state="confirmed", confirmed_at=timezone.now())

    make_due(queued_rows("send_confirmation").filter(status="READY"))
    run_worker_once()

    assert not mail.outbox


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_asking_for_the_link_again_is_looked_up_in_the_worker(client, petition, queued):
    post_sign(client, petition)
    run_worker_once()
    mail.outbox.clear()

    client.post("/en/petitions/resend/", {"email": "ayla@example.org", "petition": petition.slug})
    client.post("/en/petitions/resend/", {"email": "other@example.org", "petition": petition.slug})

    rows = queued_rows("resend_confirmation")
    assert rows.count() == 2  # the same work for every address
    assert not any("example.org" in str(row.args_kwargs) for row in rows)  # encrypted
    run_worker_once()
    assert [m.to for m in mail.outbox] == [["ayla@example.org"]]


# --- Keeping only what is needed --------------------------------------------------------------


def test_unconfirmed_signatures_expire_after_seven_days(petition):
    now = timezone.now()
    old_pending, old_suspect, recent, confirmed = sign(petition, 4, state="pending")
    Signature.objects.filter(pk__in=[old_pending.pk, old_suspect.pk]).update(
        created_at=now - dt.timedelta(days=7, minutes=1)
    )
    Signature.objects.filter(pk=old_suspect.pk).update(state="suspect")
    Signature.objects.filter(pk=recent.pk).update(created_at=now - dt.timedelta(days=6))
    Signature.objects.filter(pk=confirmed.pk).update(
        state="confirmed", confirmed_at=now, created_at=now - dt.timedelta(days=30)
    )

    tasks.signature_housekeeping.call()

    assert set(Signature.objects.values_list("pk", flat=True)) == {recent.pk, confirmed.pk}
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE)
    assert event.detail == "unconfirmed signatures expired after 7 days"


def close_months_ago(petition, months: int) -> None:
    petitions.petition_close(petition=petition, actor=None)
    PetitionEvent.objects.filter(petition=petition, status="closed").update(
        at=timezone.now() - dt.timedelta(days=30.5 * months)
    )


def test_six_months_after_closing_signatures_are_anonymised_keeping_counts_by_country(
    petition, django_capture_on_commit_callbacks
):
    sign(petition, 6, country="BE", show_publicly=True, postcode="1000", comment="Hello")
    sign(petition, 5, country="FR", start=100, ip_hash="a" * 64)
    counting.count_signatures.call(petition_id=petition.pk)
    before = pages.open_data_document(petition.pk, slug=petition.slug)
    close_months_ago(petition, 7)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("signature_housekeeping", stdout=StringIO())

    rows = Signature.objects.filter(petition=petition)
    assert rows.count() == 11
    assert not rows.exclude(name="", email="", postcode="", comment="", ip_hash="").exists()
    assert not rows.filter(show_publicly=True).exists()
    assert sorted(rows.values_list("country", flat=True)) == ["BE"] * 6 + ["FR"] * 5
    assert counting.count_signatures.call(petition_id=petition.pk) == 11
    after = pages.open_data_document(petition.pk, slug=petition.slug)
    assert (
        after["data"]["attributes"]["signatures_by_country"]
        == (before["data"]["attributes"]["signatures_by_country"])
    )
    assert AuditEvent.objects.filter(detail="11 signatures anonymised six months after closing")


def test_a_petition_closed_five_months_ago_keeps_its_signers(petition):
    sign(petition, 3)
    close_months_ago(petition, 5)

    tasks.signature_housekeeping.call()

    assert not Signature.objects.filter(email="").exists()


def test_the_links_of_an_anonymised_signature_stop_working(client, petition):
    post_sign(client, petition)
    erase = links(mail.outbox[0])["erase"]
    Signature.objects.update(state="confirmed", confirmed_at=timezone.now())
    close_months_ago(petition, 7)

    tasks.signature_housekeeping.call()

    assert client.post(erase).status_code == 410
    assert Signature.objects.count() == 1


def test_housekeeping_schedules_itself_hourly_once(queued):
    out = StringIO()
    call_command("signature_housekeeping", "--schedule", stdout=out)
    call_command("signature_housekeeping", "--schedule", stdout=out)

    [row] = queued_rows("signature_housekeeping")
    assert row.run_after > timezone.now() + dt.timedelta(minutes=59)


def test_the_housekeeping_command_says_what_it_did(petition):
    [old] = sign(petition, 1, state="pending")
    Signature.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    out = StringIO()

    call_command("signature_housekeeping", stdout=out)

    assert "1 unconfirmed signature(s) expired, 0 anonymised" in out.getvalue()


# --- Privacy ----------------------------------------------------------------------------------


def test_no_private_field_of_the_linked_cases_reaches_a_mail(client, petition, family):
    people = family.people.values()
    markers = plant_markers(family, *people, *family.separations.all())
    assert markers.values

    post_sign(client, petition)
    Signature.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    post_sign(client, petition)  # the "already signed" mail
    client.post("/en/petitions/resend/", {"email": "ayla@example.org", "petition": petition.slug})
    pages_seen = [
        client.get(confirm_link()).content,
        client.post(confirm_link()).content,
        client.get(links(mail.outbox[0])["unsubscribe"]).content,
        client.get(links(mail.outbox[0])["erase"]).content,
        client.get(f"/en/petitions/{petition.slug}/thanks/").content,
    ]

    assert len(mail.outbox) >= 2
    assert_no_markers(all_text(mail.outbox), markers, where="the signing mails")
    for content in pages_seen:
        assert_no_markers(content, markers, where="the signing pages")
    for word in ("Ilham", "Ayshem", "Kadir"):  # nor the names of those not consenting
        assert word not in all_text(mail.outbox)
