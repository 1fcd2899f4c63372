"""Exports made in the background: PDFs of more than settings.EXPORT_PDF_INLINE_MAX
cases, which take too long to lay out while a page waits (django.tasks; `manage.py
db_worker` runs them).

1. `export_download_request()`, called by the export page after `export_cases()` has
   checked the export and written its audit row: an `ExportDownload` row (pending) and
   the task that fills it, in one transaction, so there is never one without the other.
   The row keeps the filters as submitted, encrypted (a typed name among them), never a
   passphrase: encryption with a passphrase is chosen when the file is downloaded.
2. `export_render`: draws the file through `formats.render`, the same writers as the
   page, for the cases the owner may open *when it runs* (an access taken away in the
   meantime applies), after `check_export` again (a role taken away: refused, logged).
   The file is stored encrypted at rest; the selection is erased.
3. `export_downloads_expire()`: at `expires_at` the file and selection are erased and
   the row says "expired". Run by `export_downloads_housekeeping`, queued for the time
   each download expires, and by the export page for its reader's own list, so nothing
   outlives its time even without a worker. Rows are deleted `FORGET_AFTER` later.

Retry rule: none. A failure marks the row failed (the log names the download and the
kind of error, never a value; the task's result row holds no traceback with case data
because nothing is raised out of it), and the advocate asks again. Running the task
twice does nothing the second time: it only takes a pending row.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.tasks import task
from django.utils import timezone, translation

from cases.exports import formats
from cases.exports.filters import CaseExportFilter
from cases.exports.levels import User, check_export
from cases.exports.service import ExportFile
from cases.models import ExportDownload, Family

logger = logging.getLogger(__name__)

Status = ExportDownload.Status
# An expired row (no file, no selection) stays on its owner's list this long.
FORGET_AFTER = dt.timedelta(days=30)
HOUSEKEEPING_DELAY = dt.timedelta(minutes=1)


def selection_data(data: QueryDict) -> str:
    """The filters of a request as JSON (each key with its list of values)."""
    return json.dumps({key: data.getlist(key) for key in data}, ensure_ascii=False)


def _query(selection: str) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in json.loads(selection or "{}").items():
        data.setlist(key, values)
    return data


def export_download_request(
    *, user: User, export: ExportFile, selection: QueryDict
) -> ExportDownload:
    """A pending download of `export` for `user` (its chunks are not read: the task
    draws the file), and its task. `selection` holds the filter fields only."""
    now = timezone.now()
    with transaction.atomic():
        download = ExportDownload.objects.create(
            owner=user,
            created_at=now,
            expires_at=now + dt.timedelta(hours=settings.EXPORT_DOWNLOAD_HOURS),
            level=export.level,
            layout=export.layout,
            format=export.format,
            cases=export.cases,
            people=export.people,
            filename=export.filename,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            selection=selection_data(selection),
        )
        # With the database backend, the task row is in this transaction too.
        export_render.enqueue(download_id=str(download.pk))
        housekeeping = export_downloads_housekeeping
        if housekeeping.get_backend().supports_defer:
            housekeeping = housekeeping.using(run_after=download.expires_at + HOUSEKEEPING_DELAY)
        housekeeping.enqueue()
    return download


def _fail(download: ExportDownload, why: str) -> None:
    logger.warning("export download %s failed: %s", download.pk, why)
    download.status = Status.FAILED
    download.selection = ""
    download.finished_at = timezone.now()
    download.save(update_fields=["status", "selection", "finished_at"])


def export_download_render(*, download: ExportDownload) -> ExportDownload:
    """Draw the file of a pending download and store it, or mark it failed."""
    owner = download.owner
    families = Family.objects.visible_to(owner)
    filterset = CaseExportFilter(_query(download.selection), queryset=families)
    if not filterset.is_valid():
        _fail(download, "the filters are no longer valid")
        return download
    try:
        with translation.override(download.language or settings.LANGUAGE_CODE):
            level = check_export(user=owner, level=download.level, cases=filterset.qs.count())
            data = b"".join(
                formats.render(
                    layout=download.layout,
                    fmt=download.format,
                    level=level,
                    families=filterset.qs,
                    user=owner,
                )
            )
    except Exception as error:  # noqa: BLE001 - the kind of error only: no case data in logs
        _fail(download, type(error).__name__)
        return download
    download.set_file(data)
    download.status = Status.READY
    download.selection = ""
    download.finished_at = timezone.now()
    download.save(update_fields=["content", "size", "status", "selection", "finished_at"])
    logger.info("export download %s ready: %d bytes", download.pk, download.size)
    return download


@task
def export_render(*, download_id: str) -> None:
    """Fill in a pending `ExportDownload`; nothing for one already done, or gone."""
    download = (
        ExportDownload.objects.select_related("owner")
        .filter(pk=download_id, status=Status.PENDING)
        .first()
    )
    if download is None or download.is_expired:
        return
    export_download_render(download=download)


def export_downloads_expire(*, now: dt.datetime | None = None, owner: User | None = None) -> int:
    """Erase the file and selection of every download past its time (only `owner`'s, if
    given), and forget rows expired `FORGET_AFTER` ago. Returns how many expired now."""
    now = now or timezone.now()
    expired = ExportDownload.objects.expired(now=now)
    old = ExportDownload.objects.filter(expires_at__lte=now - FORGET_AFTER)
    if owner is not None:
        mine = Q(owner=owner) if isinstance(owner, get_user_model()) else Q(pk__in=[])
        expired, old = expired.filter(mine), old.filter(mine)
    count = expired.update(status=Status.EXPIRED, content="", selection="", size=0)
    old.delete()
    return count


@task
def export_downloads_housekeeping() -> None:
    """Erase what has expired. Idempotent: a second run finds nothing to do."""
    count = export_downloads_expire()
    if count:
        logger.info("export downloads: %d expired", count)
