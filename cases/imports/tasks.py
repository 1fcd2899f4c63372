"""Uploaded spreadsheets do not outlive their day (cases.models.SpreadsheetUpload).

`upload_spreadsheet()` stores the file and queues `spreadsheet_uploads_housekeeping`
for the moment it expires, in the same transaction (with the database backend the task
row is in it too); each upload also deletes what has expired, so nothing outlives its
time even without a worker. Retry rule: none needed, the next run or upload does it.
Idempotent: a second run finds nothing to delete.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.tasks import task

from cases.models import SpreadsheetUpload

logger = logging.getLogger(__name__)
HOUSEKEEPING_DELAY = dt.timedelta(minutes=1)


def spreadsheet_uploads_expire(*, now: dt.datetime | None = None) -> int:
    """Delete every upload past its time. Returns how many."""
    count, _by_model = SpreadsheetUpload.objects.expired(now=now).delete()
    return count


@transaction.atomic
def upload_spreadsheet(
    *, owner: AbstractBaseUser, file_name: str, data: bytes
) -> SpreadsheetUpload:
    """Keep `data` (encrypted) for its preview and import, for `owner` only."""
    spreadsheet_uploads_expire()
    upload = SpreadsheetUpload.for_file(owner=owner, file_name=file_name, data=data)
    upload.save(force_insert=True)
    housekeeping = spreadsheet_uploads_housekeeping
    if housekeeping.get_backend().supports_defer:  # the database backend; not ImmediateBackend
        housekeeping = housekeeping.using(run_after=upload.expires_at + HOUSEKEEPING_DELAY)
        housekeeping.enqueue()
    return upload


@task
def spreadsheet_uploads_housekeeping() -> None:
    """Delete the uploads that have expired."""
    if count := spreadsheet_uploads_expire():
        logger.info("spreadsheet uploads: %d expired", count)
