"""Staff views of case records. Each checks who is asking, reads through `cases.access`,
and leaves a line in the audit trail."""

from __future__ import annotations

from pathlib import PurePath

from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cases import access, evidence
from cases.accounts import verified_staff_required
from cases.audit import audit_record
from cases.models import AuditEvent, TimelineEntry


@transaction.non_atomic_requests  # a refusal is logged even though the view raises 404
@require_safe
@verified_staff_required
def evidence_download(request: HttpRequest, entry_id: int) -> FileResponse:
    """A timeline entry's evidence file, as a download, to staff who may open the case
    and see its private fields. Anyone else gets the same 404 as for a missing file."""
    user = request.user
    entry = (
        access.visible(TimelineEntry.objects.select_related("family"), user)
        .filter(pk=entry_id)
        .exclude(source_document="")
        .first()
    )
    if entry is None or not access.can_see_private(user):
        access.refuse(request, TimelineEntry, entry_id, "evidence")

    try:
        file = entry.source_document.storage.open(entry.source_document.name, "rb")
    except FileNotFoundError:
        raise Http404(_("No such record.")) from None
    try:
        kind = evidence.sniff(evidence.read_head(file))
    except OSError:
        file.close()
        raise
    response = FileResponse(  # closes the file once sent
        file,
        as_attachment=True,
        filename=entry.source_document_name or PurePath(entry.source_document.name).name,
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    # Never rendered by the browser, never cached, never run as a page if it were.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "sandbox"
    audit_record(
        action=AuditEvent.Action.VIEW, request=request, obj=entry, detail="evidence download"
    )
    return response
