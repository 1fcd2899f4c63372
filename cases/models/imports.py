"""A spreadsheet uploaded for import, kept between its preview and the import.

The caseworker uploads the file once; the preview (a dry run) and the import read it
from here, so what is imported is the file that was previewed, byte for byte: the page
carries its SHA-256, checked again on confirming. The file is stored encrypted at rest
(`cases.crypto`, base64 inside the token, as `ExportDownload` keeps an export; key
rotation covers it), for its owner only, and deleted once imported, or after
`LIFETIME` by the housekeeping task (cases/imports/tasks.py) and by the next upload.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.crypto import EncryptedCharField, EncryptedTextField

LIFETIME = dt.timedelta(hours=24)


class SpreadsheetUploadQuerySet(models.QuerySet):
    def expired(self, *, now: dt.datetime | None = None) -> SpreadsheetUploadQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())

    def live(self, *, now: dt.datetime | None = None) -> SpreadsheetUploadQuerySet:
        return self.filter(expires_at__gt=now or timezone.now())


class SpreadsheetUpload(models.Model):
    # Random, so an address names no other upload and cannot be counted through.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    # The name it was uploaded under can name a person ("Tohti family.xlsx"): encrypted.
    file_name = EncryptedCharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    # The file, base64 inside the encrypted token.
    content = EncryptedTextField(_("file"))

    objects = SpreadsheetUploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("spreadsheet upload")
        verbose_name_plural = _("spreadsheet uploads")
        default_permissions = ()
        indexes = [
            # The housekeeping's search for what has expired.
            models.Index(fields=["expires_at"], name="spreadsheetupload_expires_idx"),
        ]

    def __str__(self) -> str:
        return str(self.pk)

    @classmethod
    def for_file(cls, *, owner: models.Model, file_name: str, data: bytes) -> SpreadsheetUpload:
        """An unsaved upload of `data`."""
        now = timezone.now()
        return cls(
            owner=owner,
            created_at=now,
            expires_at=now + LIFETIME,
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content=base64.b64encode(data).decode("ascii"),
        )

    def file_bytes(self) -> bytes:
        return base64.b64decode(self.content)
