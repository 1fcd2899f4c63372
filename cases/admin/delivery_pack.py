"""The petition's delivery pack on its admin page: the PDF for the addressee, the
signatures as CSV, the counts by country as CSV (cases/exports/signatures.py).

A mixin of `PetitionAdmin`, in its own module so its URLs and views stay apart from
the petition's editing. Only holders of the petition admin's `pack_permission`
(`cases.moderate_signatures`: petition editors and supervisors) may download: the pack
holds every signer's name. Each download is an EXPORT row in the audit trail, with
the number of signatures and never their contents; anyone else gets 403 and an
ACCESS_REFUSED row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cases.audit import audit_record
from cases.exports import signatures
from cases.models import AuditEvent

# kind: (the end of its URL and of its file name, what the audit row calls it)
PACK_FILES = {
    "pdf": ("delivery-pack.pdf", "delivery pack pdf"),
    "signatures": ("signatures.csv", "signatures csv"),
    "countries": ("signatures-by-country.csv", "signatures by country csv"),
}


def _download(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Signers' names: never kept by a browser or proxy cache, never sniffed into a page.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DeliveryPackAdmin:
    """Adds the pack's three downloads to a petition's admin page."""

    pack_permission: str

    def has_delivery_pack_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(self.pack_permission)

    def get_urls(self) -> list[URLPattern]:
        view = require_safe(self.admin_site.admin_view(self.delivery_pack_view))
        return [
            *(
                path(
                    f"<path:object_id>/{ending}",
                    view,
                    {"kind": kind},
                    name=f"cases_petition_pack_{kind}",
                )
                for kind, (ending, _what) in PACK_FILES.items()
            ),
            *super().get_urls(),
        ]

    def render_change_form(
        self, request: HttpRequest, context: dict, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        context["may_download_pack"] = self.has_delivery_pack_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def delivery_pack_view(self, request: HttpRequest, object_id: str, kind: str) -> HttpResponse:
        petition = self.get_object(request, unquote(object_id))
        ending, what = PACK_FILES[kind]
        if not self.has_delivery_pack_permission(request):
            audit_record(
                action=AuditEvent.Action.ACCESS_REFUSED,
                request=request,
                obj=petition,
                detail=what if petition else f"{what}: cases.petition {object_id}",
            )
            raise PermissionDenied
        if petition is None:
            raise Http404(_("No such record."))
        filename = f"{petition.slug}-{timezone.localdate():%Y-%m-%d}-{ending}"
        if kind == "pdf":
            pack = signatures.delivery_pack(petition)
            response: HttpResponse = HttpResponse(
                signatures.delivery_pack_pdf(pack), content_type="application/pdf"
            )
            count = pack.total
        else:
            count = signatures.confirmed_signatures(petition).count()
            rows: Iterator[str] = (
                signatures.signatures_csv(petition)
                if kind == "signatures"
                else signatures.countries_csv(petition)
            )
            response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        audit_record(
            action=AuditEvent.Action.EXPORT,
            request=request,
            obj=petition,
            detail=f"{what}: {count} signatures",
        )
        return _download(response, filename)
