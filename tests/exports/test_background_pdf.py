"""Large PDF selections are made in the background and downloaded by whoever asked for
them, from a link nobody else can open, until it expires.

Every person here is fictional.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging

import pytest
import pyzipper
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from cases.accounts import state
from cases.exports import formats, tasks
from cases.models import AuditEvent, ExportDownload, Family
from cases.roles import Role
from tests.conftest import user_with_role
from tests.factories import FamilyFactory, MembershipFactory, SeparationFactory
from tests.security.test_password_reset_abuse import run_worker_once

pytestmark = pytest.mark.django_db

PAGE = reverse("staff:exports:page")
ADVOCACY_PDF = {"level": "advocacy", "layout": "cases", "format": "pdf", "export": "1"}
PASSPHRASE = "copper lantern over the river"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
FAKE_PDF = b"%PDF-1.7 fictional dossiers of %d cases\n%%EOF\n"
Status = ExportDownload.Status


@pytest.fixture(autouse=True)
def small_threshold(settings):
    """More than two cases make a background PDF."""
    settings.EXPORT_PDF_INLINE_MAX = 2


@pytest.fixture
def three_cases(db) -> list[Family]:
    families = []
    for number in range(3):
        family = FamilyFactory(host_country="BE")
        MembershipFactory(family=family, person__name_latin=f"Gulnar Yaqup {number}")
        SeparationFactory(family=family)
        families.append(family)
    return families


@pytest.fixture
def quick_pdf(monkeypatch):
    """The PDF writer replaced by one that only counts the cases (WeasyPrint takes a
    second a case; the real one is drawn in the first test)."""
    calls = []

    def render(*, layout, fmt, level, families, user):
        calls.append({"layout": layout, "level": level, "user": user})
        yield FAKE_PDF.replace(b"%d", str(families.count()).encode())

    monkeypatch.setattr(formats, "render", render)
    return calls


@pytest.fixture
def queued(settings):
    """Tasks wait in the database for `manage.py db_worker`, as in production."""
    settings.TASKS = DATABASE_TASKS


def download_url(download: ExportDownload) -> str:
    return reverse("staff:exports:download", args=[download.pk])


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def recently_authenticated(client) -> None:
    session = client.session
    session[state.AUTHENTICATED_AT] = state.now()
    session.save()


# --- Made in the background, for its owner ---------------------------------------------


def test_a_large_pdf_selection_is_made_in_the_background_and_listed_for_its_owner(
    as_user, advocate, three_cases
):
    client = as_user(advocate)

    response = client.post(PAGE, ADVOCACY_PDF, follow=True)

    assert response.redirect_chain[0][1] == 302
    assert "The PDF of 3 cases is being made." in response.content.decode()
    download = ExportDownload.objects.get()
    assert (download.owner, download.status, download.cases) == (advocate, Status.READY, 3)
    assert download.filename.startswith("reunite-cases-advocacy-")
    pdf = download.file_bytes()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for family in three_cases:
        assert family.reference in text
    assert "Gulnar" not in text  # nobody agreed to be named
    assert download.expires_at - download.created_at == dt.timedelta(hours=24)
    assert download.selection == ""  # erased once the file is made
    (export,) = events(AuditEvent.Action.EXPORT)  # written when it was asked for
    assert "format=pdf level=advocacy cases=3" in export.detail
    page = client.get(PAGE).content.decode()
    assert f'href="{download_url(download)}"' in page
    assert "Ready" in page


def test_the_owner_downloads_the_file_and_the_download_is_recorded(
    as_user, advocate, three_cases, quick_pdf
):
    client = as_user(advocate)
    client.post(PAGE, ADVOCACY_PDF)
    download = ExportDownload.objects.get()

    shown = client.get(download_url(download))
    sent = client.post(download_url(download))

    assert shown.status_code == 200
    assert 'autocomplete="new-password"' in shown.content.decode()
    assert sent.status_code == 200
    assert sent["Content-Type"] == "application/pdf"
    assert sent["Content-Disposition"] == f'attachment; filename="{download.filename}"'
    assert "no-store" in sent["Cache-Control"]
    assert sent["X-Content-Type-Options"] == "nosniff"
    assert b"".join(sent.streaming_content) == b"%PDF-1.7 fictional dossiers of 3 cases\n%%EOF\n"
    (view,) = events(AuditEvent.Action.VIEW)
    assert view.actor == advocate
    assert (view.object_type, view.object_id) == ("cases.exportdownload", str(download.pk))
    assert "export download layout=cases format=pdf level=advocacy cases=3" in view.detail
    assert len(events(AuditEvent.Action.EXPORT)) == 1  # the request's, not the download's


def test_a_small_pdf_is_sent_at_once(as_user, advocate, three_cases, quick_pdf):
    response = as_user(advocate).post(
        PAGE, {**ADVOCACY_PDF, "references": three_cases[0].reference}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert not ExportDownload.objects.exists()


def test_the_encrypted_zip_option_applies_when_it_is_downloaded(
    as_user, advocate, three_cases, quick_pdf
):
    client = as_user(advocate)
    client.post(PAGE, ADVOCACY_PDF)
    download = ExportDownload.objects.get()

    short = client.post(download_url(download), {"encrypt": "on", "passphrase": "too short"})
    sent = client.post(download_url(download), {"encrypt": "on", "passphrase": PASSPHRASE})

    assert short.status_code == 400
    assert "at least 12 characters" in short.content.decode()
    assert sent["Content-Type"] == "application/zip"
    assert sent["Content-Disposition"] == f'attachment; filename="{download.filename}.zip"'
    with pyzipper.AESZipFile(io.BytesIO(b"".join(sent.streaming_content))) as archive:
        archive.setpassword(PASSPHRASE.encode())
        assert archive.read(download.filename) == download.file_bytes()
    assert PASSPHRASE not in str(list(AuditEvent.objects.values()))
    assert "encrypted" in events(AuditEvent.Action.VIEW)[0].detail


def test_nobody_else_may_open_it_not_even_a_supervisor(
    as_user, client, advocate, supervisor, three_cases, quick_pdf
):
    as_user(advocate).post(PAGE, ADVOCACY_PDF)
    download = ExportDownload.objects.get()
    other = user_with_role("amina", Role.ADVOCATE)

    for reader in (other, supervisor):
        client.logout()
        reader_client = as_user(reader)
        assert reader_client.get(download_url(download)).status_code == 404
        assert reader_client.post(download_url(download)).status_code == 404
        assert f'href="{download_url(download)}"' not in reader_client.get(PAGE).content.decode()

    refusals = events(AuditEvent.Action.ACCESS_REFUSED)
    assert [(event.actor, event.detail) for event in refusals] == [
        (reader, f"cases.exportdownload {download.pk} export download")
        for reader in (other, other, supervisor, supervisor)
    ]
    assert not events(AuditEvent.Action.VIEW)


def test_a_link_to_no_download_is_the_same_404_without_an_audit_row(as_user, advocate):
    response = as_user(advocate).get(
        reverse("staff:exports:download", args=["00000000-0000-4000-8000-000000000000"])
    )

    assert response.status_code == 404
    assert not events(AuditEvent.Action.ACCESS_REFUSED)


# --- Expiry ----------------------------------------------------------------------------


def test_past_its_time_the_link_is_gone_and_the_file_erased(
    as_user, advocate, three_cases, quick_pdf
):
    client = as_user(advocate)
    client.post(PAGE, ADVOCACY_PDF)
    download = ExportDownload.objects.get()
    ExportDownload.objects.filter(pk=download.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    gone = client.get(download_url(download))
    posted = client.post(download_url(download))

    assert gone.status_code == posted.status_code == 410
    assert "has expired" in gone.content.decode()
    download.refresh_from_db()
    assert (download.status, download.content, download.size) == (Status.EXPIRED, "", 0)
    page = client.get(PAGE).content.decode()
    assert f'href="{download_url(download)}"' not in page
    assert "Expired" in page
    assert not events(AuditEvent.Action.VIEW)


def test_the_housekeeping_task_erases_what_expired_and_later_forgets_it(
    advocate, three_cases, as_user, quick_pdf
):
    as_user(advocate).post(PAGE, ADVOCACY_PDF)
    download = ExportDownload.objects.get()
    later = download.expires_at + dt.timedelta(minutes=1)

    assert tasks.export_downloads_expire(now=download.expires_at - dt.timedelta(minutes=1)) == 0
    assert tasks.export_downloads_expire(now=later) == 1
    assert tasks.export_downloads_expire(now=later) == 0  # idempotent

    download.refresh_from_db()
    assert (download.status, download.content, download.selection) == (Status.EXPIRED, "", "")
    tasks.export_downloads_expire(now=later + tasks.FORGET_AFTER)
    assert not ExportDownload.objects.exists()


# --- The task --------------------------------------------------------------------------


def test_the_request_and_its_tasks_are_stored_together_and_hold_no_typed_name(
    as_user, advocate, three_cases, queued, quick_pdf
):
    response = as_user(advocate).post(PAGE, {**ADVOCACY_PDF, "q": "Gulnar"})

    assert response.status_code == 302
    download = ExportDownload.objects.get()
    assert download.status == Status.PENDING
    housekeeping, render = DBTaskResult.objects.order_by("task_path")
    assert render.task_path == "cases.exports.tasks.export_render"
    assert render.args_kwargs == {"args": [], "kwargs": {"download_id": str(download.pk)}}
    assert housekeeping.task_path == "cases.exports.tasks.export_downloads_housekeeping"
    assert housekeeping.run_after >= download.expires_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT selection FROM cases_exportdownload")
        (stored,) = cursor.fetchone()
    assert "Gulnar" not in stored  # encrypted at rest
    assert "Gulnar" in download.selection

    tasks.export_render.call(download_id=str(download.pk))
    tasks.export_render.call(download_id=str(download.pk))  # a second run does nothing

    download.refresh_from_db()
    assert download.status == Status.READY
    assert quick_pdf == [{"layout": "cases", "level": "advocacy", "user": advocate}]


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_the_worker_makes_the_file_which_is_encrypted_at_rest(
    as_user, advocate, three_cases, queued, quick_pdf
):
    as_user(advocate).post(PAGE, ADVOCACY_PDF)

    run_worker_once()

    download = ExportDownload.objects.get()
    assert download.status == Status.READY
    assert download.file_bytes().startswith(b"%PDF")
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM cases_exportdownload")
        (stored,) = cursor.fetchone()
    assert b"%PDF" not in stored.encode()
    assert base64.b64encode(b"%PDF-1.7").decode()[:8] not in stored


def test_a_role_taken_away_before_the_task_runs_fails_it_and_is_logged(
    as_user, advocate, three_cases, queued, quick_pdf
):
    as_user(advocate).post(PAGE, ADVOCACY_PDF)
    download = ExportDownload.objects.get()
    advocate.groups.remove(Group.objects.get(name=Role.ADVOCATE))

    tasks.export_render.call(download_id=str(download.pk))

    download.refresh_from_db()
    assert (download.status, download.content, download.selection) == (Status.FAILED, "", "")
    (refusal,) = events(AuditEvent.Action.ACCESS_REFUSED)
    assert refusal.actor == advocate
    assert quick_pdf == []


def test_a_case_hidden_from_the_owner_before_the_task_runs_is_left_out(
    as_user, advocate, three_cases, queued, quick_pdf
):
    as_user(advocate).post(PAGE, ADVOCACY_PDF)
    Family.objects.filter(pk=three_cases[0].pk).update(restricted=True)

    tasks.export_render.call(download_id=str(ExportDownload.objects.get().pk))

    assert ExportDownload.objects.get().file_bytes() == FAKE_PDF.replace(b"%d", b"2")


def test_a_failure_marks_the_download_failed_and_logs_no_case_data(
    as_user, advocate, three_cases, monkeypatch, caplog
):
    def broken(**kwargs):
        raise ValueError("Gulnar Yaqup 0 could not be laid out")
        yield b""

    monkeypatch.setattr(formats, "render", broken)
    caplog.set_level(logging.DEBUG)
    client = as_user(advocate)

    client.post(PAGE, ADVOCACY_PDF)

    download = ExportDownload.objects.get()
    assert download.status == Status.FAILED
    assert "Gulnar" not in caplog.text
    assert f"export download {download.pk} failed: ValueError" in caplog.text
    page = client.get(PAGE).content.decode()
    assert "Failed" in page
    assert f'href="{download_url(download)}"' not in page


# --- Internal level --------------------------------------------------------------------


def test_an_internal_download_asks_for_a_recent_reauthentication_and_a_passphrase(
    as_user, worker, three_cases, quick_pdf
):
    for family in three_cases:
        family.caseworkers.add(worker)
    client = as_user(worker)
    recently_authenticated(client)
    client.post(PAGE, {**ADVOCACY_PDF, "level": "internal"})  # no passphrase asked yet
    download = ExportDownload.objects.get()
    assert (download.level, download.status) == ("internal", Status.READY)
    session = client.session
    del session[state.AUTHENTICATED_AT]
    session.save()

    sent_away = client.get(download_url(download))
    assert sent_away.status_code == 302
    assert sent_away["Location"].startswith(reverse("staff:reauthenticate"))

    recently_authenticated(client)
    plain = client.post(download_url(download))
    sent = client.post(download_url(download), {"passphrase": PASSPHRASE})

    assert plain.status_code == 400
    assert "Internal exports are always encrypted" in plain.content.decode()
    assert sent["Content-Type"] == "application/zip"
    (view,) = events(AuditEvent.Action.VIEW)
    assert view.detail.endswith("level=internal cases=3 people=6 encrypted")
