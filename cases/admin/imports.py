"""Import from a spreadsheet, on the family list: upload, preview (a dry run), confirm.

A mixin of `FamilyAdmin`, in its own module so its views stay apart from the case's
editing. The rules are in `cases.imports`; these views check who asks, read the form,
call them and render:

1. `import/`: the upload. The file stays in memory (never in a temporary file in
   clear) and is refused past `sheets.MAX_BYTES` while it arrives; a file that cannot
   be read is refused here, with why. One that can is stored encrypted for its
   uploader (`SpreadsheetUpload`), and the preview opens.
2. `import/<upload>/`: the preview, for the uploader only, writing nothing: what each
   row would create, match or why it is refused, with a select per column to read it
   otherwise and a choice per possible duplicate. "Import" checks everything again,
   against the SHA-256 the page was drawn for, and imports in one transaction; the
   upload is then deleted.

Who may import: whoever may add cases, people, members, separations and timeline
entries (caseworkers and supervisors). Anyone else gets 403 and an ACCESS_REFUSED row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from cases import access
from cases.audit import audit_record
from cases.imports import sheets
from cases.imports.columns import COLUMNS, guess_mapping
from cases.imports.rows import (
    NEW,
    CheckedSheet,
    ImportCase,
    ImportRow,
    RowMatch,
    check_sheet,
    describe_person,
)
from cases.imports.service import import_rows, import_summary
from cases.imports.tasks import upload_spreadsheet
from cases.matching import PossibleDuplicate, describe
from cases.models import AuditEvent, Membership, Person, Separation, SpreadsheetUpload

IMPORT_PERMISSIONS = [
    "cases.add_family",
    "cases.add_person",
    "cases.add_membership",
    "cases.add_separation",
    "cases.add_timelineentry",
]
# The person's fields a column may fill that `access.PRIVATE_FIELDS` may hide.
PRIVATE_COLUMNS = {"location_place": "location_place", "notes": "notes"}


class InMemoryUploadHandler(MemoryFileUploadHandler):
    """The upload in memory whatever its declared size, and skipped (`too_large`) once
    it passes `sheets.MAX_BYTES`: a spreadsheet of case data never lands in a shared
    temporary directory, and a huge one is not read to the end into memory."""

    too_large = False

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > sheets.MAX_BYTES:
            self.too_large = True
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy(
            "XLSX (its first sheet) or CSV (UTF-8, or Excel's “Unicode text”), up to 10 MB "
            "and 20,000 rows: one row per separated person, with the case's columns on "
            "every row."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.tsv,.txt"}),
    )


class ColumnsForm(forms.Form):
    """What each column of the file is read as: a select per column, guessed first."""

    def __init__(
        self,
        data: Mapping[str, Any] | None,
        *,
        checked_headings: list[str],
        guess: list[str],
        hidden: frozenset[str],
    ) -> None:
        super().__init__(data)
        choices = [("", _("— ignored —"))] + [
            (column.key, str(column.label))
            for column in COLUMNS
            if PRIVATE_COLUMNS.get(column.key) not in hidden
        ]
        for index, heading in enumerate(checked_headings):
            self.fields[f"column-{index}"] = forms.ChoiceField(
                label=heading or _("(no heading)"),
                choices=choices,
                required=False,
                initial=guess[index] if guess[index] in dict(choices) else "",
            )

    def mapping(self) -> list[str]:
        if self.is_bound and self.is_valid():
            return [self.cleaned_data[name] for name in self.fields]
        return [self.fields[name].initial for name in self.fields]


def _label(choices: type, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value or "—"


def _decision(
    name: str,
    matches: list[PossibleDuplicate],
    chosen: str,
    label: str,
    file_matches: Sequence[RowMatch] = (),
    problem: str = "",
    *,
    user: AbstractBaseUser,
) -> dict[str, Any] | None:
    """The select of a possible duplicate: a new person, one of the visible matches, or
    the person of an earlier row of the file (in another case)."""
    if not matches and not file_matches:
        return None
    options = (
        [("", _("Choose…")), (NEW, _("A new person"))]
        + [
            (str(m.person.pk), _("The same as %(person)s") % {"person": m.person})
            for m in matches
            if m.person is not None
        ]
        + [
            (m.choice, _("The same as row %(row)d of this file") % {"row": m.row.number})
            for m in file_matches
            if not m.same_case
        ]
    )
    return {
        "name": name,
        "label": label,
        "matches": [describe(match, user=user) for match in matches]
        + [_describe_row_match(match) for match in file_matches],
        "options": [(value, text, value == chosen) for value, text in options],
        "missing": bool(problem)
        or not chosen
        or chosen not in {value for value, _text in options[1:]},
        "problem": problem,
    }


def _describe_row_match(match: RowMatch) -> str:
    """An earlier row of the file, as `cases.matching.describe` tells a person on record."""
    where = (
        _("Row %(row)d of this file, in the same case")
        if match.same_case
        else _("Row %(row)d of this file")
    ) % {"row": match.row.number}
    return _("%(person)s (%(where)s): %(score)d%%, %(reasons)s") % {
        "person": describe_person(match.row.person),
        "where": where,
        "score": match.score,
        "reasons": "; ".join(match.reasons),
    }


def _row_view(
    row: ImportRow, decisions: Mapping[str, str], *, user: AbstractBaseUser
) -> dict[str, Any]:
    """One row of the preview: what would happen, its problems, its choices."""
    case: ImportCase = row.case
    actions = []
    contact = None
    if row.first_of_case:
        actions.append(
            _("Create the case “%(name)s” (new; its reference is given when it is imported)")
            % {"name": case.family.name}
        )
        if case.contact is not None:
            actions.append(
                _("Reporting contact: %(person)s")
                % {"person": describe_person(case.contact_same_as or case.contact)}
            )
            contact = _decision(
                row.contact_decision_name,
                case.contact_matches,
                decisions.get(row.contact_decision_name, ""),
                _("Row %(row)d: who is the reporting contact?") % {"row": row.number},
                user=user,
            )
    else:
        actions.append(_("In the same case as row %(row)d") % {"row": case.first_row})
    person = {"person": describe_person(row.stands_for), "role": _label(Membership.Role, row.role)}
    if row.same_as is not None:
        actions.append(_("Add %(person)s, already on record, as %(role)s") % person)
    elif row.same_as_row is not None:
        actions.append(
            _("Add %(person)s, the same person as in row %(row)d, as %(role)s")
            % {**person, "row": row.same_as_row.number}
        )
    else:
        actions.append(_("Add %(person)s as %(role)s") % person)
    if (separated := row.separation) is not None:
        actions.append(
            _("Separated since %(since)s: %(how)s; %(status)s")
            % {
                "since": separated.since.display() if separated.since else _("an unknown date"),
                "how": _label(Separation.Circumstance, separated.circumstance),
                "status": _label(Separation.Status, separated.status),
            }
        )
    if row.condition is not None and row.stands_for is row.person:
        actions.append(
            _("Condition: %(condition)s, as of %(date)s")
            % {
                "condition": _label(Person.Condition, row.person.condition),
                "date": row.condition.effective_on.display(),
            }
        )
    skipped = ""
    if case.rejected and not row.problems:
        skipped = _("Not imported: row %(rows)s of the same case is refused.") % {
            "rows": ", ".join(str(n) for n in case.rejected_rows)
        }
    person_decision = _decision(
        row.decision_name,
        row.matches,
        decisions.get(row.decision_name, ""),
        _("Row %(row)d: who is this?") % {"row": row.number},
        row.file_matches,
        row.decision_problem,
        user=user,
    )
    state = "ok"
    if row.problems:
        state = "rejected"
    elif skipped:
        state = "skipped"
    elif (person_decision or contact) and not (row.decided and case.contact_decided):
        state = "decide"
    return {
        "number": row.number,
        "state": state,
        "actions": actions,
        "problems": [str(problem) for problem in row.problems],
        "skipped": skipped,
        "decisions": [d for d in (contact, person_decision) if d is not None and row.imported],
    }


class SpreadsheetImportAdmin:
    """Adds "Import from a spreadsheet" to the family list (FamilyAdmin)."""

    change_list_template = "admin/cases/family/import_change_list.html"

    def may_import(self, request: HttpRequest) -> bool:
        return request.user.has_perms(IMPORT_PERMISSIONS)

    def _check_may_import(self, request: HttpRequest) -> None:
        if not self.may_import(request):
            audit_record(
                action=AuditEvent.Action.ACCESS_REFUSED,
                request=request,
                detail="spreadsheet import",
            )
            raise PermissionDenied

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra_context = {**(extra_context or {}), "may_import": self.may_import(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="cases_family_import",
            ),
            path(
                "import/<uuid:upload_id>/",
                self.admin_site.admin_view(self.import_preview_view),
                name="cases_family_import_preview",
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str, **context: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            **context,
        }

    # --- 1. The upload ---------------------------------------------------------------

    @csrf_exempt  # checked below, once the upload handler is in place
    def import_view(self, request: HttpRequest) -> HttpResponse:
        # Only before anything reads the body: no CSRF middleware has (csrf_exempt).
        handler = InMemoryUploadHandler(request)
        request.upload_handlers = [handler]
        return csrf_protect(partial(self._upload, handler=handler))(request)

    def _upload(self, request: HttpRequest, handler: InMemoryUploadHandler) -> HttpResponse:
        self._check_may_import(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if handler.too_large:  # skipped while it arrived: not "required"
                form.full_clean()
                form.errors["file"] = form.error_class([sheets.too_large_message()])
            elif form.is_valid():
                file = form.cleaned_data["file"]
                data = file.read()
                try:
                    sheets.read_sheet(data=data, file_name=file.name)
                except sheets.SheetError as error:
                    form.add_error("file", str(error))
                else:
                    upload = upload_spreadsheet(owner=request.user, file_name=file.name, data=data)
                    return redirect("admin:cases_family_import_preview", upload.pk)
        context = self._context(request, _("Import from a spreadsheet"), form=form, columns=COLUMNS)
        return TemplateResponse(request, "admin/cases/family/import.html", context)

    # --- 2. The preview, and the import ----------------------------------------------

    def import_preview_view(self, request: HttpRequest, upload_id: UUID) -> HttpResponse:
        self._check_may_import(request)
        upload = SpreadsheetUpload.objects.live().filter(pk=upload_id, owner=request.user).first()
        if upload is None:
            self.message_user(
                request,
                _("That upload has expired or was imported already: upload the file again."),
                messages.WARNING,
            )
            return redirect("admin:cases_family_import")
        try:
            sheet = sheets.read_sheet(data=upload.file_bytes(), file_name=upload.file_name)
        except sheets.SheetError as error:  # read at upload; a change of the limits since
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:cases_family_import")
        data = request.POST if request.method == "POST" else None
        hidden = access.hidden_fields(request.user, Person)
        guess = guess_mapping(sheet.headings)
        columns = ColumnsForm(data, checked_headings=sheet.headings, guess=guess, hidden=hidden)
        checked = check_sheet(
            sheet=sheet,
            user=request.user,
            source_name=upload.file_name,
            mapping=columns.mapping(),
            decisions=data or {},
        )
        error = ""
        if data is not None and "confirm" in data:
            if data.get("sha256") != upload.sha256:
                error = _("This is not the file the page showed: check the preview again.")
            elif not checked.ready:
                error = _("Nothing was imported: choose for every possible duplicate, first.")
            else:
                try:
                    with transaction.atomic():
                        result = import_rows(
                            rows=checked.to_import, actor=request.user, source_name=upload.file_name
                        )
                        upload.delete()
                except ValidationError as refused:
                    error = _("Nothing was imported: %(why)s") % {"why": " ".join(refused.messages)}
                else:
                    self.message_user(request, import_summary(result), messages.SUCCESS)
                    return redirect("admin:cases_family_changelist")
        return TemplateResponse(
            request,
            "admin/cases/family/import_preview.html",
            self._context(
                request,
                _("Import from a spreadsheet: preview"),
                upload=upload,
                upload_size=filesizeformat(upload.size),
                sheet=sheet,
                checked=checked,
                columns=_columns_view(columns, sheet),
                rows=[_row_view(row, data or {}, user=request.user) for row in checked.rows],
                summary=_summary(checked),
                error=error,
            ),
        )


def _columns_view(form: ColumnsForm, sheet: sheets.Sheet) -> list[dict[str, Any]]:
    """Each column: its select, and an example value from the file."""
    examples = []
    for index in range(len(sheet.headings)):
        examples.append(next((cells[index] for _n, cells in sheet.rows if cells[index]), ""))
    return [
        {"field": form[name], "example": example}
        for name, example in zip(form.fields, examples, strict=True)
    ]


def _summary(checked: CheckedSheet) -> dict[str, int]:
    to_import = checked.to_import
    return {
        "rows": len(checked.rows),
        "cases": len(checked.new_cases),
        "to_import": len(to_import),
        "linked": sum(1 for row in to_import if row.same_as is not None),
        "undecided": checked.undecided,
        "rejected": len(checked.rejected),
        "skipped": sum(1 for row in checked.rows if not row.imported and not row.problems),
    }
