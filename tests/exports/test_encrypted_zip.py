"""Exports as AES-256 encrypted zips: they open with the passphrase and nothing else,
hold exactly the export, and the passphrase is kept nowhere.

Every person here is fictional.
"""

from __future__ import annotations

import io
import logging
import struct
import zipfile

import pytest
import pyzipper
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.urls import reverse

from cases.exports import views
from cases.exports.encryption import MIN_PASSPHRASE, encrypted_zip
from cases.models import AuditEvent, Family
from cases.redaction import PrivateExceptionReporterFilter
from tests.factories import FamilyFactory, MembershipFactory, SeparationFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("staff:exports:page")
PASSPHRASE = "copper lantern over the river"
ADVOCACY_CSV = {"level": "advocacy", "layout": "cases", "format": "csv", "export": "1"}
AES_EXTRA = 0x9901  # WinZip's AES extra field
AES_METHOD = 99  # the compression method a WinZip AES member declares


def opened(data: bytes, passphrase: str) -> tuple[pyzipper.AESZipInfo, bytes]:
    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        archive.setpassword(passphrase.encode())
        (info,) = archive.infolist()
        return info, archive.read(info.filename)


def local_header(data: bytes) -> tuple[int, dict[int, bytes]]:
    """The compression method and extra fields of the first member, as written."""
    signature, *_fields = struct.unpack("<IHHHHHIIIHH", data[:30])
    assert signature == 0x04034B50
    method = struct.unpack("<H", data[8:10])[0]
    name_length, extra_length = struct.unpack("<HH", data[26:30])
    extra = data[30 + name_length : 30 + name_length + extra_length]
    fields = {}
    while extra:
        kind, size = struct.unpack("<HH", extra[:4])
        fields[kind] = extra[4 : 4 + size]
        extra = extra[4 + size :]
    return method, fields


def test_the_zip_opens_with_its_passphrase_and_holds_exactly_the_chunks():
    chunks = ["Reference,Name\r\nF-2026-0001,گۈلنار 古丽\r\n".encode() * 500] * 40

    data = b"".join(encrypted_zip(iter(chunks), inner_name="cases.csv", passphrase=PASSPHRASE))

    info, content = opened(data, PASSPHRASE)
    assert info.filename == "cases.csv"
    assert content == b"".join(chunks)


def test_the_zip_is_aes_256_encrypted(settings):
    data = b"".join(encrypted_zip(iter([b"x" * 1000]), inner_name="a.csv", passphrase=PASSPHRASE))

    method, extra = local_header(data)
    assert method == AES_METHOD
    version, vendor, strength, real_method = struct.unpack("<H2sBH", extra[AES_EXTRA])
    assert (vendor, strength) == (b"AE", 3)  # 3: a 256-bit key
    assert version == 2  # AE-2: no checksum of the plain text
    assert real_method == zipfile.ZIP_DEFLATED
    assert b"x" * 20 not in data
    # The standard library's reader, which knows only the weak ZipCrypto, cannot open it.
    with (
        zipfile.ZipFile(io.BytesIO(data)) as plain_reader,
        pytest.raises(RuntimeError, match="encrypted"),
    ):
        plain_reader.read("a.csv")


def test_a_wrong_passphrase_opens_nothing():
    data = b"".join(encrypted_zip(iter([b"secret"]), inner_name="a.csv", passphrase=PASSPHRASE))

    with pytest.raises(RuntimeError, match="Bad password"):
        opened(data, PASSPHRASE + "!")


def test_a_short_passphrase_is_refused_before_anything_is_read():
    def chunks():
        raise AssertionError("read before the passphrase was checked")
        yield b""

    with pytest.raises(ValueError, match=str(MIN_PASSPHRASE)):
        encrypted_zip(chunks(), inner_name="a.csv", passphrase="x" * (MIN_PASSPHRASE - 1))


# --- Through the export page ------------------------------------------------------------


@pytest.fixture
def cases(db):
    for country in ("BE", "NL"):
        family = FamilyFactory(host_country=country)
        MembershipFactory(family=family, person__name_latin="Gulnar Yaqup")
        SeparationFactory(family=family)


def test_the_encrypted_export_holds_the_same_bytes_as_the_plain_one(as_user, advocate, cases):
    client = as_user(advocate)

    plain = client.post(PAGE, ADVOCACY_CSV)
    plain_bytes = b"".join(plain.streaming_content)
    encrypted = client.post(PAGE, {**ADVOCACY_CSV, "encrypt": "on", "passphrase": PASSPHRASE})

    assert encrypted.status_code == 200
    assert encrypted["Content-Type"] == "application/zip"
    filename = plain["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert encrypted["Content-Disposition"] == f'attachment; filename="{filename}.zip"'
    assert "no-store" in encrypted["Cache-Control"]
    info, content = opened(b"".join(encrypted.streaming_content), PASSPHRASE)
    assert info.filename == filename
    assert content == plain_bytes


def test_a_passphrase_too_short_or_missing_is_a_clear_form_error(as_user, advocate, cases):
    client = as_user(advocate)

    short = client.post(PAGE, {**ADVOCACY_CSV, "encrypt": "on", "passphrase": "eleven char"})
    missing = client.post(PAGE, {**ADVOCACY_CSV, "encrypt": "on"})

    assert short.status_code == missing.status_code == 400
    assert short.context["form"].errors["passphrase"] == [
        "The passphrase needs at least 12 characters; this one has 11."
    ]
    assert missing.context["form"].errors["passphrase"] == [
        "Choose a passphrase, or untick “Encrypt with a passphrase”."
    ]
    assert "eleven char" not in short.content.decode()  # never drawn back into the page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_passphrase_is_in_no_audit_row_no_log_record_no_session_and_no_redirect(
    as_user, advocate, cases, caplog
):
    caplog.set_level(logging.DEBUG)
    client = as_user(advocate)

    client.post(PAGE, {**ADVOCACY_CSV, "encrypt": "on", "passphrase": PASSPHRASE}).getvalue()
    count = {key: value for key, value in ADVOCACY_CSV.items() if key != "export"}
    client.post(PAGE, {**count, "count": "1", "passphrase": PASSPHRASE})
    client.post(PAGE, {**ADVOCACY_CSV, "level": "internal", "passphrase": PASSPHRASE})  # 403
    refused = client.post(PAGE, {**ADVOCACY_CSV, "encrypt": "on", "passphrase": "too short"})

    rows = str(list(AuditEvent.objects.values()))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1
    assert PASSPHRASE not in rows
    assert PASSPHRASE not in caplog.text
    for record in caplog.records:
        assert PASSPHRASE not in str(record.__dict__)
    for session in Session.objects.all():
        assert PASSPHRASE not in str(session.get_decoded())
    assert "too short" not in refused.content.decode()


def test_an_internal_export_sent_to_reauthenticate_leaves_the_passphrase_behind(
    login, client, worker, cases
):
    for family in Family.objects.all():
        family.caseworkers.add(worker)
    login(client, worker)

    response = client.post(
        PAGE, {**ADVOCACY_CSV, "level": "internal", "encrypt": "on", "passphrase": PASSPHRASE}
    )

    assert response.status_code == 302
    assert PASSPHRASE.split()[0] not in response["Location"]
    assert "passphrase" not in response["Location"]
    for session in Session.objects.all():
        assert PASSPHRASE not in str(session.get_decoded())


def test_the_view_marks_the_passphrase_as_sensitive_for_error_reports(advocate, cases):
    request = RequestFactory().post(PAGE, {"count": "1", "passphrase": PASSPHRASE})
    request.user = advocate
    advocate.is_verified = lambda: True
    request.session = {}

    response = views.export_page(request)

    assert response.status_code == 200
    assert request.sensitive_post_parameters == ("passphrase",)
    reported = PrivateExceptionReporterFilter().get_post_parameters(request)
    assert PASSPHRASE not in str(reported)
