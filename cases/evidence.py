"""Evidence files: what may be uploaded, under which name it is stored, and what it is.

Uploads are checked by their first bytes, not only by their name: a program renamed
`.pdf` is refused. Stored names are random (uuid4 plus an extension we chose), so a
path reveals nothing and cannot be guessed; the uploader's file name is kept in the
record instead. Files live in the private "evidence" storage and are only served by
`cases.views.evidence_download`, after a permission check.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
HEAD_BYTES = 2048  # enough to recognise every accepted type, and to tell text from binary


@dataclass(frozen=True)
class EvidenceType:
    content_type: str
    extension: str  # the one we store
    extensions: frozenset[str]  # the ones we accept in an uploaded name


PDF = EvidenceType("application/pdf", ".pdf", frozenset({".pdf"}))
PNG = EvidenceType("image/png", ".png", frozenset({".png"}))
JPEG = EvidenceType("image/jpeg", ".jpg", frozenset({".jpg", ".jpeg"}))
WEBP = EvidenceType("image/webp", ".webp", frozenset({".webp"}))
TEXT = EvidenceType("text/plain; charset=utf-8", ".txt", frozenset({".txt"}))
EVIDENCE_TYPES = (PDF, PNG, JPEG, WEBP, TEXT)
ACCEPTED_EXTENSIONS = frozenset().union(*(kind.extensions for kind in EVIDENCE_TYPES))


def _is_text(head: bytes) -> bool:
    """UTF-8 without control characters (tabs, line and page breaks allowed)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut at the end of the head
            return False
        text = head[: error.start].decode("utf-8")
    return bool(text) and not any(
        (char < " " and char not in "\t\n\r\f") or char == "\x7f" for char in text
    )


def sniff(head: bytes) -> EvidenceType | None:
    """What the first bytes of a file say it is, if it is one of the accepted types."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if _is_text(head):
        return TEXT
    return None


def read_head(file: IO[bytes]) -> bytes:
    """The first bytes of an open file, leaving it at its start."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    return head


def validate_evidence_file(value: Any) -> None:
    """A new upload must be at most 20 MB and really be a PDF, PNG, JPEG, WebP or plain
    text file matching its extension. Files already stored were checked on the way in."""
    if not value or getattr(value, "_committed", True):
        return
    if value.size > MAX_EVIDENCE_BYTES:
        raise ValidationError(
            _("This file is larger than %(limit)d MB."),
            code="too_large",
            params={"limit": MAX_EVIDENCE_BYTES // (1024 * 1024)},
        )
    extension = PurePath(value.name).suffix.lower()
    kind = sniff(read_head(value.file))
    if extension not in ACCEPTED_EXTENSIONS or kind is None or extension not in kind.extensions:
        raise ValidationError(
            _(
                "Only PDF, PNG, JPEG, WebP and plain-text files can be uploaded, and the "
                "file’s contents must match its name: this one’s do not."
            ),
            code="file_type",
        )


def evidence_upload_to(instance: models.Model, filename: str) -> str:
    """A random name under evidence/<year>/<month>/, with an extension we chose."""
    extension = PurePath(filename).suffix.lower()
    stored = next((k.extension for k in EVIDENCE_TYPES if extension in k.extensions), "")
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{stored}"


class EvidenceFileField(models.FileField):
    """A FileField whose form uploads also record the uploader's file name in the
    sibling field `name_field`, since the stored name is random."""

    def __init__(self, *args: Any, name_field: str = "", **kwargs: Any) -> None:
        self.name_field = name_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self.name_field:
            kwargs["name_field"] = self.name_field
        return name, path, args, kwargs

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        super().save_form_data(instance, data)
        if not self.name_field:
            return
        if isinstance(data, UploadedFile):
            setattr(instance, self.name_field, PurePath(data.name or "").name[:255])
        elif data is False:  # "Clear" ticked
            setattr(instance, self.name_field, "")


def delete_file_once_committed(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """post_delete: a deleted entry's evidence file leaves the disk when the deletion is
    committed (not before: a rolled-back delete must keep its file). Storage upkeep, not
    business logic: it runs for every delete path, cascades from a family included."""
    file = instance.source_document
    if file:
        storage, name = file.storage, file.name
        transaction.on_commit(lambda: storage.delete(name))
