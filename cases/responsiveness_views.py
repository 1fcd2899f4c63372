"""The staff page "How governments answer": the filters, a bar chart of response rates
drawn as SVG on the server, and the same figures in a table. Thin: the figures and
what each reader may see of them are `cases.responsiveness`.

For verified staff who may read the figures (`responsiveness.may_view`: supervisors and
advocates); anyone else gets 403, and the attempt goes on the audit trail. Invalid
filters: the form with its errors and no figures (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django_countries import countries

from cases import responsiveness
from cases.accounts import verified_staff_required
from cases.audit import audit_record
from cases.models import AuditEvent
from cases.responsiveness import Shown
from cases.text import isolate

TEMPLATE = "staff/responsiveness.html"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ResponsivenessFilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Requests from"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("Requests to"), required=False, widget=DateInput())
    host_country = forms.ChoiceField(
        label=gettext_lazy("Host country of the family"),
        required=False,
        choices=lambda: [("", gettext_lazy("All countries")), *countries],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period comes before its start."))
        return data


# --- The chart ----------------------------------------------------------------------

CHART_WIDTH = 760
BAR_WIDTH = 560  # a 100% bar
ROW_HEIGHT = 48


@dataclass(frozen=True)
class Bar:
    government: str  # each name isolated, so that neither reorders the other
    body: str
    value: str  # the rate as shown, or why it is not
    top: int
    width: int | None  # None: no bar (withheld)

    @property
    def label_y(self) -> int:
        return self.top + 16

    @property
    def bar_y(self) -> int:
        return self.top + 24

    @property
    def value_y(self) -> int:
        return self.top + 36

    @property
    def value_x(self) -> int:
        return BAR_WIDTH + 8


def chart_bars(rows: list[Shown]) -> list[Bar]:
    return [
        Bar(
            government=isolate(row.row.government_name),
            body=isolate(row.row.body),
            value=row.rate if row.rate_value is not None else _("withheld"),
            top=index * ROW_HEIGHT,
            width=round(row.rate_value * BAR_WIDTH) if row.rate_value is not None else None,
        )
        for index, row in enumerate(rows)
    ]


# --- The page -----------------------------------------------------------------------


@require_safe
@verified_staff_required
def responsiveness_page(request: HttpRequest) -> TemplateResponse:
    user = request.user
    if not responsiveness.may_view(user):
        audit_record(
            action=AuditEvent.Action.ACCESS_REFUSED, request=request, detail="responsiveness page"
        )
        raise PermissionDenied
    form = ResponsivenessFilterForm(request.GET or None)
    exact = responsiveness.sees_exact_figures(user)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": _("How governments answer"),
        "form": form,
        "exact": exact,
        "suppress_below": responsiveness.SUPPRESS_BELOW,
        "suppressed": responsiveness.SUPPRESSED,
    }
    if form.is_bound and not form.is_valid():
        return TemplateResponse(request, TEMPLATE, context, status=400)
    filters = form.cleaned_data if form.is_bound else {}
    today = timezone.localdate()
    requests = responsiveness.requests_for(
        user=user,
        start=filters.get("start"),
        end=filters.get("end"),
        host_country=filters.get("host_country", ""),
    )
    rows = responsiveness.responsiveness(requests=requests, today=today)
    shown = responsiveness.shown_rows(rows, exact=exact)
    bars = chart_bars(shown)
    context |= {
        "rows": shown,
        "bars": bars,
        "chart_width": CHART_WIDTH,
        "chart_height": max(len(bars), 1) * ROW_HEIGHT,
        "bar_width": BAR_WIDTH,
        "untimed": responsiveness.shown_untimed(rows, exact=exact),
        "today": today,
    }
    if exact and rows:
        total = responsiveness.totals(requests=requests, today=today)
        context["total"] = responsiveness.shown_row(total, exact=True)
    return TemplateResponse(request, TEMPLATE, context)
