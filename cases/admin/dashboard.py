"""The dashboard on the admin's front page (cases/dashboard.py), its supervisor filter,
and the family-list filters its "more" links open."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases import dashboard
from cases.models import Team


class DashboardFilterForm(forms.Form):
    """A supervisor's choice of whose cases the dashboard shows (a GET form). A value
    that names nobody is an error on the form, and the dashboard shows everyone's."""

    caseworker = forms.ModelChoiceField(
        label=_("Caseworker"),
        queryset=dashboard.caseworker_choices(),
        required=False,
        empty_label=_("Everyone"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("Every team")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["caseworker"].label_from_instance = lambda user: user.get_username()


def index_context(request: HttpRequest) -> dict[str, Any]:
    """What the admin index adds for the signed-in user: their dashboard, if they follow
    cases, and for a supervisor the filter form."""
    user = request.user
    if not dashboard.follows_cases(user):
        return {}
    caseworker = team = None
    form = None
    if dashboard.sees_everyone(user):
        form = DashboardFilterForm(request.GET or None)
        if form.is_valid():
            caseworker = form.cleaned_data["caseworker"]
            team = form.cleaned_data["team"]
    return {
        "dashboard": dashboard.dashboard(user=user, caseworker=caseworker, team=team),
        "dashboard_filter": form,
        "dashboard_caseworker": caseworker,
        "dashboard_team": team,
    }


class AssignedFilter(admin.SimpleListFilter):
    """The cases assigned to the signed-in user or to their team (the dashboard's)."""

    title = _("assigned")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("me", _("To me or my team"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "me":
            return queryset.filter(dashboard.assigned_to(request.user))
        return queryset


class AttentionFilter(admin.SimpleListFilter):
    """The dashboard's lists of cases that need a look, as a family-list filter."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            ("quiet", _("No contact with the family or a government for 90+ days")),
            ("stale", _("A separation's status unchanged for a year")),
            ("changed", _("Changed by someone else in the last 7 days")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        match self.value():
            case "quiet":
                return dashboard.quiet(queryset)
            case "stale":
                return dashboard.with_stale_separation(queryset)
            case "changed":
                return dashboard.changed_cases(queryset, user=request.user)
        return queryset
