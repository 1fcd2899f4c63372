"""The staff page "Export case summaries", and the downloads of exports made in the
background. Thin: the filters are `CaseExportFilter`, the checks, the audit row and the
file are `service.export_cases`, the encryption `encryption.encrypted_zip`, the
background work `cases.exports.tasks`.

The page (`export_page`), for verified staff with `cases.export_cases` (anyone else:
403, logged):

- One form, posted (with its CSRF token, so no link can start an export): the filters,
  the level (those of the reader's role, `allowed_levels`), the layout and format
  (`service.LAYOUTS`), "Encrypt with a passphrase". "Count matching cases" shows how
  many cases and people the filters match, among the cases the reader may open;
  "Export" sends the file. A GET fills the form from its query string (the family
  list's action, the way back from re-authentication) and shows the count.
- Invalid filters, or a layout that does not come in a format: the form with errors
  (400). A level beyond the role, or a selection beyond the role's limit: 403 with the
  reason on the form, and the refusal in the audit trail (`check_export`).
- Internal exports ask for a recent password and second factor (the accounts'
  `recent_authentication_required`, through `export_reauthenticated`), then bring the
  reader back to the form with every choice but the passphrase; and they are always
  encrypted (decision: internal detail never leaves as a plain file). Advocacy exports
  may be; statistics hold no personal data.
- A PDF of more than settings.EXPORT_PDF_INLINE_MAX cases is made in the background;
  the page lists the reader's own exports (being made, ready, expired). Its download
  page asks for the passphrase if it is to be encrypted (internal: always), and is the
  owner's only: anyone else gets 404 and an ACCESS_REFUSED row; past its time, 410.

The passphrase is never stored, logged, put in the session or the audit trail, or
shown again (`sensitive_post_parameters`, a password input that does not render its
value, and a way back from re-authentication that leaves it out).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminRadioSelect
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from cases import access
from cases.accounts import (
    recent_authentication_required,
    recently_authenticated,
    require_recent_authentication,
    verified_staff_required,
)
from cases.audit import audit_record
from cases.exports import service, tasks
from cases.exports.encryption import MIN_PASSPHRASE, encrypted_zip, zip_name
from cases.exports.filters import CaseExportFilter, described
from cases.exports.levels import (
    ExportRefused,
    Format,
    Level,
    User,
    allowed_levels,
    check_export,
)
from cases.exports.service import LAYOUTS, Layout
from cases.models import AuditEvent, ExportDownload, Family

PAGE_TEMPLATE = "staff/exports/export_page.html"
DOWNLOAD_TEMPLATE = "staff/exports/download.html"
# The family list's selection, when too long for a link: {key: [references]}.
SELECTIONS = "reunite_export_selections"
KEPT_SELECTIONS = 5  # per session, the newest
REFERENCES_IN_LINK = 100  # more, and the selection goes to the session
SHOWN_DOWNLOADS = 20
EXPORT_CHOICES = ("level", "layout", "format", "encrypt", "selection")

LAYOUT_LABELS = {
    Layout.CASES: gettext_lazy("Cases: one row, document or dossier per case"),
    Layout.PEOPLE: gettext_lazy("Separated people: one row per person"),
    Layout.WGEID: gettext_lazy(
        "UN Working Group on Enforced or Involuntary Disappearances: one form per person"
    ),
    Layout.WGAD: gettext_lazy("UN Working Group on Arbitrary Detention: one form per person"),
    Layout.STATISTICS: gettext_lazy("Public statistics (public level only)"),
}
FORMAT_LABELS = {
    Format.CSV: gettext_lazy("CSV (spreadsheet, UTF-8)"),
    Format.XLSX: gettext_lazy("XLSX (Excel workbook)"),
    Format.JSON: gettext_lazy("JSON (nested, with a schema)"),
    Format.PDF: gettext_lazy("PDF (printable dossiers)"),
}


def _radio() -> AdminRadioSelect:
    return AdminRadioSelect(attrs={"class": "radiolist"})


def _passphrase_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Passphrase"),
        required=False,
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class EncryptionForm(forms.Form):
    """Encrypt with a passphrase, or not; always, when `required`."""

    encrypt = forms.BooleanField(
        label=gettext_lazy("Encrypt with a passphrase"),
        required=False,
        help_text=gettext_lazy(
            "An AES-256 encrypted zip, opened with 7-Zip, WinZip, Keka or The Unarchiver "
            "(not Windows Explorer's own zip reader). Internal exports are always encrypted."
        ),
    )
    passphrase = _passphrase_field()

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.required = required
        self.fields["passphrase"].help_text = _(
            "At least %(count)d characters; a few unrelated words are easy to type and "
            "hard to guess. It is not kept anywhere: give it to the recipient another "
            "way than the file (a call, a message)."
        ) % {"count": MIN_PASSPHRASE}
        if required:  # shown ticked, and not to be unticked
            self.fields["encrypt"].initial = True
            self.fields["encrypt"].disabled = True

    def passphrase_needed(self) -> bool:
        return True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["encrypt"] = bool(data.get("encrypt")) or self.required
        if data["encrypt"] and self.passphrase_needed():
            passphrase = data.get("passphrase") or ""
            if not passphrase:
                self.add_error(
                    "passphrase",
                    _("Internal exports are always encrypted: choose a passphrase.")
                    if self.required
                    else _("Choose a passphrase, or untick “Encrypt with a passphrase”."),
                )
            elif len(passphrase) < MIN_PASSPHRASE:
                self.add_error(
                    "passphrase",
                    _("The passphrase needs at least %(count)d characters; this one has %(n)d.")
                    % {"count": MIN_PASSPHRASE, "n": len(passphrase)},
                )
        return data


class ExportForm(EncryptionForm):
    """What to export, and how. The level takes any value, so that one beyond the role
    reaches `check_export` (403, logged) rather than passing as a form error."""

    level = forms.CharField(label=gettext_lazy("Redaction level"), max_length=20, widget=_radio())
    layout = forms.ChoiceField(
        label=gettext_lazy("Layout"),
        choices=[(layout, LAYOUT_LABELS[layout]) for layout in LAYOUTS],
        initial=Layout.CASES,
        widget=_radio(),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[(fmt.value, label) for fmt, label in FORMAT_LABELS.items()],
        initial=Format.CSV,
        widget=_radio(),
    )
    selection = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    field_order = ["level", "layout", "format", "encrypt", "passphrase"]

    def __init__(
        self, *args: Any, levels: list[Level], matching: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels
        self.matching = matching
        self.fields["level"].widget.choices = [(level.value, level.label) for level in levels]
        self.fields["level"].initial = Level.ADVOCACY if Level.ADVOCACY in levels else None
        self.fields["format"].help_text = _(
            "A PDF of more than %(count)d cases is made in the background: it is listed "
            "under “Your exports” when ready, and you choose its encryption when you "
            "download it."
        ) % {"count": settings.EXPORT_PDF_INLINE_MAX}

    def chosen_level(self) -> Level | None:
        try:
            return Level(self.data.get(self.add_prefix("level"), ""))
        except ValueError:
            return None

    @property
    def in_background(self) -> bool:
        return self.data.get(self.add_prefix("format")) == Format.PDF and (
            self.matching is not None and self.matching > settings.EXPORT_PDF_INLINE_MAX
        )

    def passphrase_needed(self) -> bool:
        return not self.in_background

    def full_clean(self) -> None:
        # Internal: encrypted, if the reader may export at that level at all.
        level = self.chosen_level()
        self.required = level == Level.INTERNAL and level in self.levels
        super().full_clean()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        level = self.chosen_level()
        if level is not None and data.get("layout") and data.get("format"):
            try:
                service.check_layout(level, data["layout"], data["format"])
            except ValueError as error:
                self.add_error("format", str(error))
        return data


# --- The filters and the family list's selection ------------------------------------


def _filter_keys(filterset: CaseExportFilter) -> list[str]:
    """The names the filter form reads from a request (a date range has two)."""
    keys = []
    for name, field in filterset.form.fields.items():
        suffixes = getattr(field.widget, "suffixes", None)
        keys += [f"{name}_{suffix}" for suffix in suffixes] if suffixes else [name]
    return keys


def _only(data: QueryDict, keys: Iterable[str]) -> QueryDict:
    kept = QueryDict(mutable=True)
    for key in keys:
        if key in data:
            kept.setlist(key, data.getlist(key))
    return kept


def remember_selection(request: HttpRequest, references: list[str]) -> str:
    """Keep a long selection of the family list in the session; its key for the page."""
    key = secrets.token_urlsafe(9)
    kept = dict(list(request.session.get(SELECTIONS, {}).items())[-(KEPT_SELECTIONS - 1) :])
    kept[key] = references
    request.session[SELECTIONS] = kept
    return key


def selection_link(request: HttpRequest, references: list[str]) -> str:
    """The export page for these cases: their references in the link, or a key to them."""
    if len(references) <= REFERENCES_IN_LINK:
        query = {"references": ",".join(references)}
    else:
        query = {"selection": remember_selection(request, references)}
    return f"{reverse('staff:exports:page')}?{urlencode(query)}"


def _filter_data(request: HttpRequest, data: QueryDict) -> tuple[QueryDict, int | None]:
    """The filters' data, the session's selection put in as references; and how many
    cases that selection holds (None without one)."""
    key = data.get("selection")
    if not key:
        return data, None
    references = request.session.get(SELECTIONS, {}).get(key)
    data = data.copy()
    if references is None:
        data.pop("selection")
        messages.warning(
            request, _("That selection is no longer kept: choose the cases on the list again.")
        )
        return data, None
    data["references"] = ",".join(references)
    return data, len(references)


def _filterset(request: HttpRequest, data: QueryDict) -> CaseExportFilter:
    filterset = CaseExportFilter(
        data, queryset=Family.objects.visible_to(request.user), request=request
    )
    for field in filterset.form.fields.values():
        widgets = getattr(field.widget, "widgets", None)
        if widgets:  # a date range: two inputs, each named for screen readers
            for widget, end in zip(widgets, (_("from"), _("to")), strict=True):
                widget.input_type = "date"
                widget.attrs["aria-label"] = f"{field.label}: {end}"
    return filterset


# --- The page ---------------------------------------------------------------------


def _refuse_without_export_rights(request: HttpRequest, what: str) -> list[Level]:
    levels = allowed_levels(request.user)
    if not levels:
        audit_record(action=AuditEvent.Action.ACCESS_REFUSED, request=request, detail=what)
        raise PermissionDenied
    return levels


def _attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Case data: never kept by a browser or proxy cache, never sniffed into a page.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _file_response(
    chunks: Iterator[bytes], *, filename: str, content_type: str, passphrase: str | None
) -> StreamingHttpResponse:
    if passphrase is not None:
        chunks = encrypted_zip(chunks, inner_name=filename, passphrase=passphrase)
        filename, content_type = zip_name(filename), "application/zip"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    _attachment(response, filename)
    return response


def _downloads(user: User) -> list[ExportDownload]:
    tasks.export_downloads_expire(owner=user)
    return list(ExportDownload.objects.filter(owner=user)[:SHOWN_DOWNLOADS])


def _render_page(
    request: HttpRequest,
    *,
    filterset: CaseExportFilter,
    form: ExportForm,
    selected: int | None,
    status: int = 200,
) -> TemplateResponse:
    cases = people = None
    if filterset.is_valid():
        cases = filterset.qs.count()
        people = service.count_people(filterset.qs)
    context = {
        **admin.site.each_context(request),
        "title": _("Export case summaries"),
        "filter_form": filterset.form,
        "form": form,
        "cases": cases,
        "people": people,
        "selected": selected,
        "selection_key": form["selection"].value() if selected is not None else "",
        "layouts": [
            (LAYOUT_LABELS[layout], [FORMAT_LABELS[f] for f in Format if f in formats])
            for layout, formats in LAYOUTS.items()
        ],
        "downloads": _downloads(request.user),
        "inline_max": settings.EXPORT_PDF_INLINE_MAX,
        "download_hours": settings.EXPORT_DOWNLOAD_HOURS,
    }
    return TemplateResponse(request, PAGE_TEMPLATE, context, status=status)


def _choices_query(filterset: CaseExportFilter, data: QueryDict) -> str:
    """The form's choices as a query string, the passphrase left out; a selection kept
    in the session by its key, not its references."""
    keys = [*_filter_keys(filterset), *EXPORT_CHOICES]
    if data.get("selection"):
        keys.remove("references")
    return _only(data, keys).urlencode()


@verified_staff_required
@sensitive_post_parameters("passphrase")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def export_page(request: HttpRequest) -> HttpResponseBase:
    """The form, the count of what it matches, the export, the reader's own exports."""
    levels = _refuse_without_export_rights(request, "export page")
    source = request.POST if request.method == "POST" else request.GET
    data, selected = _filter_data(request, source)
    filterset = _filterset(request, data)
    if request.method != "POST" or "export" not in request.POST:
        initial = {key: source.get(key) for key in EXPORT_CHOICES if key in source}
        if "selection" in data:
            initial["selection"] = data["selection"]
        form = ExportForm(initial=initial, levels=levels)
        return _render_page(request, filterset=filterset, form=form, selected=selected)

    matching = filterset.qs.count() if filterset.is_valid() else None
    form = ExportForm(data, levels=levels, matching=matching)
    if not (filterset.is_valid() and form.is_valid()):
        return _render_page(request, filterset=filterset, form=form, selected=selected, status=400)
    choice = form.cleaned_data
    internal = choice["level"] == Level.INTERNAL and Level.INTERNAL in levels
    if internal and not recently_authenticated(request):
        query = _choices_query(filterset, data)
        return redirect(f"{reverse('staff:exports:reauthenticated')}?{query}")
    try:
        export = service.export_cases(
            user=request.user,
            level=choice["level"],
            layout=choice["layout"],
            fmt=choice["format"],
            families=filterset.qs,
            filters=described(filterset),
            request=request,
        )
    except ExportRefused as refusal:  # logged by check_export
        form.add_error(None, refusal.args[0] if refusal.args else _("Not allowed."))
        return _render_page(request, filterset=filterset, form=form, selected=selected, status=403)
    except ValueError as error:
        form.add_error("format", str(error))
        return _render_page(request, filterset=filterset, form=form, selected=selected, status=400)
    if form.in_background:
        selection = _only(data, _filter_keys(filterset))
        tasks.export_download_request(user=request.user, export=export, selection=selection)
        messages.success(
            request,
            _(
                "The PDF of %(count)d cases is being made. It is listed under “Your "
                "exports” below; download it within %(hours)d hours."
            )
            % {"count": export.cases, "hours": settings.EXPORT_DOWNLOAD_HOURS},
        )
        # Back to the page without the filters: a typed name stays out of the link.
        return redirect("staff:exports:page")
    return _file_response(
        export.chunks,
        filename=export.filename,
        content_type=export.content_type,
        passphrase=choice["passphrase"] if choice["encrypt"] else None,
    )


@require_safe
@recent_authentication_required
def export_reauthenticated(request: HttpRequest) -> HttpResponse:
    """Where an internal export waits for the reader's password and second factor:
    the decorator asks for them, then this sends the reader back to the form, every
    choice in its query string."""
    query = request.GET.urlencode()
    return redirect(f"{reverse('staff:exports:page')}{'?' if query else ''}{query}")


# --- Downloads of exports made in the background -----------------------------------


def _own_download(request: HttpRequest, download_id: uuid.UUID) -> ExportDownload:
    download = ExportDownload.objects.filter(pk=download_id, owner=request.user).first()
    if download is None:
        access.refuse(request, ExportDownload, download_id, "export download")
    return download


@verified_staff_required
@sensitive_post_parameters("passphrase")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def export_download(request: HttpRequest, download_id: uuid.UUID) -> HttpResponseBase:
    """An export made in the background: its owner's only, until it expires. GET shows
    the encryption choice; POST sends the file and writes a VIEW row."""
    _refuse_without_export_rights(request, "export download")
    download = _own_download(request, download_id)
    if download.is_expired:
        tasks.export_downloads_expire(owner=request.user)
        return TemplateResponse(
            request,
            DOWNLOAD_TEMPLATE,
            {**admin.site.each_context(request), "title": _("Export expired"), "gone": True},
            status=410,
        )
    level = check_export(user=request.user, level=download.level, request=request)
    if download.status != ExportDownload.Status.READY:
        messages.info(
            request,
            _("That export failed: please ask for it again.")
            if download.status == ExportDownload.Status.FAILED
            else _("That export is still being made."),
        )
        return redirect("staff:exports:page")
    if level == Level.INTERNAL and (response := require_recent_authentication(request)):
        return response
    required = level == Level.INTERNAL
    form = EncryptionForm(request.POST if request.method == "POST" else None, required=required)
    if request.method != "POST" or not form.is_valid():
        context = {
            **admin.site.each_context(request),
            "title": _("Download an export"),
            "download": download,
            "form": form,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, DOWNLOAD_TEMPLATE, context, status=status)
    audit_record(
        action=AuditEvent.Action.VIEW,
        request=request,
        obj=download,
        detail=(
            f"export download layout={download.layout} format={download.format} "
            f"level={download.level} cases={download.cases} people={download.people}"
            + (" encrypted" if form.cleaned_data["encrypt"] else "")
        ),
    )
    return _file_response(
        iter([download.file_bytes()]),
        filename=download.filename,
        content_type=service.CONTENT_TYPES[Format(download.format)],
        passphrase=form.cleaned_data["passphrase"] if form.cleaned_data["encrypt"] else None,
    )
