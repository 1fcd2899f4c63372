"""Exports made in the background (large PDF selections), kept until their owner
downloads them or they expire.

The row is made when the export is requested (after the export's checks and its audit
row, `cases.exports.service.export_cases`); the task `cases.exports.tasks.export_render`
fills it in. The file is kept encrypted at rest (`cases.crypto`, so a database dump or
backup holds a token, and key rotation covers it too), for its owner only, until
`expires_at`: then the file and the selection are erased and the row stays as a line
"expired" on the owner's list, holding no case data.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.crypto import EncryptedTextField


class ExportDownloadQuerySet(models.QuerySet):
    def expired(self, *, now: dt.datetime | None = None) -> ExportDownloadQuerySet:
        """Downloads past their time that still hold a file or a selection."""
        return self.filter(expires_at__lte=now or timezone.now()).exclude(
            status=ExportDownload.Status.EXPIRED
        )


class ExportDownload(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Being made")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # Random, so a link names no other download and cannot be counted through.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    level = models.CharField(_("level"), max_length=20)
    layout = models.CharField(_("layout"), max_length=20)
    format = models.CharField(_("format"), max_length=10)
    # The language the export was asked for in: its headings are in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    cases = models.PositiveIntegerField(_("cases"), default=0)
    people = models.PositiveIntegerField(_("people"), default=0)
    # Names the layout, level and time, never a case or a person.
    filename = models.CharField(_("file name"), max_length=200)
    # The filters as submitted (JSON), typed names included: encrypted, erased when done.
    selection = EncryptedTextField(_("selection"), blank=True)
    # The file, base64 inside the encrypted token; erased when it expires.
    content = EncryptedTextField(_("file"), blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)

    objects = ExportDownloadQuerySet.as_manager()

    class Meta:
        verbose_name = _("export download")
        verbose_name_plural = _("export downloads")
        ordering = ["-created_at"]
        default_permissions = ()
        indexes = [
            # "Your exports" on the export page.
            models.Index(fields=["owner", "-created_at"], name="exportdownload_owner_idx"),
            # The housekeeping's search for what has expired.
            models.Index(fields=["expires_at"], name="exportdownload_expires_idx"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.EXPIRED or self.expires_at <= timezone.now()

    @property
    def shown_status(self) -> str:
        """The status a reader should see: a ready file past its time is expired."""
        if self.is_expired:
            return str(self.Status.EXPIRED.label)
        return str(self.get_status_display())

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and not self.is_expired

    def file_bytes(self) -> bytes:
        return base64.b64decode(self.content) if self.content else b""

    def set_file(self, data: bytes) -> None:
        self.content = base64.b64encode(data).decode("ascii")
        self.size = len(data)
