"""Evidence files: only real documents and images come in, under random names, and they
go out only to staff who may open the case and see its private fields, logged."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from cases import evidence
from cases.models import AuditEvent, TimelineEntry
from tests.factories import FamilyFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
TEXT = "Testimony, recorded 2021-04-02.\nÜrümchi, ئۈرۈمچى.\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path, monkeypatch):
    """Evidence goes to a fresh private directory, not the project's."""
    location = tmp_path / "private"
    field = TimelineEntry._meta.get_field("source_document")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=location, base_url=None))
    return location


def entry_with_evidence(family, content=PDF, name="Ministry letter.pdf"):
    return TimelineEntryFactory(
        family=family,
        source_document=ContentFile(content, name=name),
        source_document_name=name,
    )


def download_url(entry):
    return reverse("staff:evidence_download", args=[entry.pk])


def read(response):
    """A streamed download's bytes. Reading to the end closes the file behind it (the
    test client closes the response then; closing it again would close the database)."""
    return b"".join(response.streaming_content)


def refusals():
    return AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED)


# --- What comes in ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, evidence.PDF),
        (PNG, evidence.PNG),
        (JPEG, evidence.JPEG),
        (WEBP, evidence.WEBP),
        (TEXT, evidence.TEXT),
        (EXE, None),
        (b"<html>\x00", None),
        (b"", None),
    ],
)
def test_a_file_is_recognised_by_its_first_bytes(content, kind):
    assert evidence.sniff(content) == kind


@pytest.mark.parametrize(
    ("content", "name"),
    [(EXE, "letter.pdf"), (EXE, "photo.png"), (PNG, "scan.pdf"), (PDF, "letter.exe")],
)
def test_a_file_whose_contents_do_not_match_its_name_is_refused(content, name):
    entry = TimelineEntry(source_document=SimpleUploadedFile(name, content))

    with pytest.raises(ValidationError) as refused:
        evidence.validate_evidence_file(entry.source_document)
    assert refused.value.code == "file_type"


def test_a_file_over_20_mb_is_refused():
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (evidence.MAX_EVIDENCE_BYTES - len(PDF) + 1))
    entry = TimelineEntry(source_document=big)

    with pytest.raises(ValidationError) as refused:
        evidence.validate_evidence_file(entry.source_document)
    assert refused.value.code == "too_large"


def test_a_file_of_exactly_20_mb_is_accepted():
    full = SimpleUploadedFile("full.pdf", PDF + b"0" * (evidence.MAX_EVIDENCE_BYTES - len(PDF)))

    evidence.validate_evidence_file(TimelineEntry(source_document=full).source_document)


def upload(client, admin_form, family, document):
    url = reverse("admin:cases_family_change", args=[family.pk])
    data = admin_form(client.get(url))
    data.add_inline(
        "entries",
        occurred_on="2024-01",
        kind=TimelineEntry.Kind.LETTER,
        title="Letter from the ministry",
        reliability=TimelineEntry.Reliability.OFFICIAL_DOCUMENT,
        source_document=document,
    )
    return client.post(url, data)


def test_uploading_a_program_renamed_pdf_is_refused_with_a_clear_error(
    caseworker_client, admin_form, evidence_dir
):
    family = FamilyFactory()

    response = upload(caseworker_client, admin_form, family, SimpleUploadedFile("x.pdf", EXE))

    assert response.status_code == 200
    assert "contents must match its name" in response.content.decode()
    assert not TimelineEntry.objects.exists()
    assert not evidence_dir.exists() or not any(evidence_dir.rglob("*.*"))


def test_an_upload_is_stored_under_a_random_name_and_keeps_its_original_name(
    caseworker_client, admin_form, evidence_dir
):
    family = FamilyFactory()
    document = SimpleUploadedFile("Letter to Gulnar's family.PDF", PDF)

    response = upload(caseworker_client, admin_form, family, document)

    assert response.status_code == 302
    entry = TimelineEntry.objects.get()
    assert entry.source_document_name == "Letter to Gulnar's family.PDF"
    stored = entry.source_document.name
    assert "Gulnar" not in stored
    assert stored.endswith(".pdf")
    assert len(stored.rsplit("/", 1)[1]) == len("0123456789abcdef0123456789abcdef.pdf")
    assert (evidence_dir / stored).read_bytes() == PDF
    with connection.cursor() as cursor:
        cursor.execute("SELECT source_document_name FROM cases_timelineentry")
        assert "Gulnar" not in cursor.fetchone()[0]  # the original name is encrypted too


def test_the_admin_links_evidence_to_the_checked_download_by_its_original_name(
    caseworker_client,
):
    entry = entry_with_evidence(FamilyFactory())

    html = caseworker_client.get(
        reverse("admin:cases_family_change", args=[entry.family.pk])
    ).content.decode()

    assert f'href="{download_url(entry)}"' in html
    assert "Ministry letter.pdf" in html
    assert entry.source_document.name not in html  # the storage path is never shown


# --- What goes out --------------------------------------------------------------------


def test_an_assigned_caseworker_downloads_evidence_as_an_attachment_with_safe_headers(
    client, login, worker
):
    family = FamilyFactory(restricted=True)
    family.caseworkers.add(worker)
    entry = entry_with_evidence(family)

    response = login(client, worker).get(download_url(entry))

    assert response.status_code == 200
    assert read(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Ministry letter.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in {d.strip() for d in response["Cache-Control"].split(",")}
    assert response["Content-Security-Policy"] == "sandbox"
    view = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (view.actor, view.object_id, view.detail) == (worker, str(entry.pk), "evidence download")
    assert view.case_reference == family.reference


def test_the_content_type_comes_from_the_contents_not_the_name(client, login, worker):
    family = FamilyFactory()
    family.caseworkers.add(worker)
    entry = entry_with_evidence(family, content=TEXT, name="notes.txt")

    response = login(client, worker).get(download_url(entry))

    assert read(response) == TEXT
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_another_caseworker_gets_404_for_evidence_on_a_restricted_case_and_it_is_logged(
    client, login, worker, other_worker
):
    family = FamilyFactory(restricted=True)
    family.caseworkers.add(other_worker)
    entry = entry_with_evidence(family)

    response = login(client, worker).get(download_url(entry))

    assert response.status_code == 404
    assert PDF not in response.content
    refusal = refusals().get()
    assert (refusal.actor, refusal.detail) == (worker, f"cases.timelineentry {entry.pk} evidence")


def test_an_advocate_who_may_read_the_case_gets_404_for_its_evidence(client, login, advocate):
    entry = entry_with_evidence(FamilyFactory(restricted=False))

    response = login(client, advocate).get(download_url(entry))

    assert response.status_code == 404
    assert refusals().get().actor == advocate


def test_the_refusal_is_logged_even_when_requests_are_atomic(
    client, login, worker, other_worker, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    family = FamilyFactory(restricted=True)
    family.caseworkers.add(other_worker)
    entry = entry_with_evidence(family)

    response = login(client, worker).get(download_url(entry))

    assert response.status_code == 404
    assert refusals().count() == 1


def test_a_missing_entry_gives_the_same_404_and_is_not_logged_as_a_refusal(client, login, worker):
    response = login(client, worker).get(reverse("staff:evidence_download", args=[999999]))

    assert response.status_code == 404
    assert not refusals().exists()


def test_anonymous_visitors_are_sent_to_log_in_and_never_get_the_file(client):
    entry = entry_with_evidence(FamilyFactory())

    response = client.get(download_url(entry))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))
    assert PDF not in response.content


def test_a_password_only_session_never_gets_the_file(client, worker):
    family = FamilyFactory()
    family.caseworkers.add(worker)
    entry = entry_with_evidence(family)
    client.force_login(worker)  # no second factor

    response = client.get(download_url(entry))

    assert response.status_code in {302, 403, 404}
    assert not getattr(response, "streaming", False)
    assert PDF not in response.content


def test_a_guessed_storage_path_is_not_served_anywhere(client, login, caseworker):
    entry = entry_with_evidence(FamilyFactory())
    name = entry.source_document.name
    login(client, caseworker)

    for prefix in ("/media/", "/static/", "/private/", "/staff/", "/"):
        response = client.get(prefix + name)

        assert response.status_code == 404, prefix
        assert PDF not in response.content


def test_deleting_an_entry_removes_its_file_once_the_delete_is_committed(
    evidence_dir, django_capture_on_commit_callbacks
):
    family = FamilyFactory()
    entry = entry_with_evidence(family)
    stored = evidence_dir / entry.source_document.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        family.delete()  # the entry goes with its case

    assert not stored.exists()


def test_a_rolled_back_delete_keeps_the_file(evidence_dir, django_capture_on_commit_callbacks):
    entry = entry_with_evidence(FamilyFactory())
    stored = evidence_dir / entry.source_document.name

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entry.delete()

    assert len(callbacks) == 1  # waiting for a commit that, here, never comes
    assert stored.exists()


def test_evidence_files_are_readable_by_the_apps_own_user_only(evidence_dir, settings):
    entry = entry_with_evidence(FamilyFactory())

    mode = (evidence_dir / entry.source_document.name).stat().st_mode & 0o777

    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert mode == 0o600
