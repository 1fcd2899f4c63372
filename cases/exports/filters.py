"""The filters of the case export (django-filter), shared by the export page, the admin
action that opens it with a selection, and the `export_cases` command.

Every filter narrows a queryset already limited to the cases the reader may open
(`Family.objects.visible_to`); invalid values are form errors, never a 500. Filters on
related records use `Exists`, so a case is counted once however many records match.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.models import Family, GovernmentContact, Person, Petition, Separation, Team
from cases.text import normalise_search_term

NAME_FIELDS = ("name_latin", "name_uyghur", "name_chinese", "aliases")


def _case_of(model: type, **lookups: object) -> Exists:
    return Exists(model.objects.filter(family=OuterRef("pk"), **lookups))


class ReferencesFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated references, each checked as a text field is (a NUL byte, which
    PostgreSQL refuses, is a form error, not a server error)."""


class CaseExportFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name"),
        method="filter_name",
        max_length=200,
        help_text=_("Any name of anyone on the case, in any script or spelling, or the reference."),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Case status"), choices=Family.Status.choices
    )
    separation_status = django_filters.MultipleChoiceFilter(
        label=_("Separation status"), choices=Separation.Status.choices, method="filter_separation"
    )
    condition = django_filters.MultipleChoiceFilter(
        label=_("Condition of the separated person"),
        choices=Person.Condition.choices,
        method="filter_separation",
    )
    whereabouts = django_filters.MultipleChoiceFilter(
        label=_("Where the separated person is"),
        choices=Person.Whereabouts.choices,
        method="filter_separation",
    )
    host_country = django_filters.MultipleChoiceFilter(
        label=_("Host country"), choices=lambda: list(countries)
    )
    government = django_filters.MultipleChoiceFilter(
        label=_("Government contacted"), choices=lambda: list(countries), method="filter_government"
    )
    caseworker = django_filters.ModelChoiceFilter(
        label=_("Caseworker"),
        field_name="caseworkers",
        queryset=lambda request: (
            get_user_model()
            .objects.filter(is_active=True, assigned_families__isnull=False)
            .distinct()
            .order_by("username")
        ),
        method="filter_caseworker",
    )
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.order_by("name"))
    opened = django_filters.DateFromToRangeFilter(
        label=_("Opened between"), field_name="created_at__date"
    )
    updated = django_filters.DateFromToRangeFilter(
        label=_("Updated between"), field_name="updated_at__date"
    )
    open_petition = django_filters.BooleanFilter(
        label=_("Has an open petition"),
        method="filter_open_petition",
        widget=forms.NullBooleanSelect,
    )
    awaiting_response = django_filters.BooleanFilter(
        label=_("A government contact awaits a response"),
        method="filter_awaiting_response",
        widget=forms.NullBooleanSelect,
    )
    follow_up_overdue = django_filters.BooleanFilter(
        label=_("A follow-up is overdue"),
        method="filter_follow_up_overdue",
        widget=forms.NullBooleanSelect,
    )
    # The admin action's selection: case references, comma-separated.
    references = ReferencesFilter(
        label=_("Selected cases"), field_name="reference", widget=forms.HiddenInput
    )

    class Meta:
        model = Family
        fields: list[str] = []

    def filter_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        term = normalise_search_term(value).strip()
        if not term:
            return queryset
        people = Q()
        for field in NAME_FIELDS:
            people |= Q(**{f"{field}__icontains": term})
        matching = Person.objects.filter(people)
        return queryset.filter(
            Q(reference__iexact=term)
            | Q(name__icontains=term)
            | Exists(matching.filter(memberships__family=OuterRef("pk")))
            | Exists(matching.filter(separations__family=OuterRef("pk")))
        )

    def filter_separation(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        # Status, condition and whereabouts narrow together: one separation must match
        # all that are given (see `filter_queryset`).
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        lookups = {}
        if data.get("separation_status"):
            lookups["status__in"] = data["separation_status"]
        if data.get("condition"):
            lookups["person__condition__in"] = data["condition"]
        if data.get("whereabouts"):
            lookups["person__whereabouts__in"] = data["whereabouts"]
        if lookups:
            queryset = queryset.filter(_case_of(Separation, **lookups))
        return queryset

    def filter_government(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return (
            queryset.filter(_case_of(GovernmentContact, government__in=value))
            if value
            else queryset
        )

    def filter_caseworker(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(
            Exists(Family.caseworkers.through.objects.filter(family=OuterRef("pk"), user=value))
        )

    def filter_open_petition(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        open_petitions = Exists(
            Petition.objects.filter(families=OuterRef("pk"), status=Petition.Status.PUBLISHED)
        )
        return queryset.filter(open_petitions if value else ~open_petitions)

    def filter_awaiting_response(
        self, queryset: QuerySet, name: str, value: bool | None
    ) -> QuerySet:
        if value is None:
            return queryset
        waiting = _case_of(
            GovernmentContact, direction=GovernmentContact.Direction.WE_ASKED, response_on=""
        )
        return queryset.filter(waiting if value else ~waiting)

    def filter_follow_up_overdue(
        self, queryset: QuerySet, name: str, value: bool | None
    ) -> QuerySet:
        if value is None:
            return queryset
        overdue = _case_of(GovernmentContact, response_on="", follow_up_on__lt=timezone.localdate())
        return queryset.filter(overdue if value else ~overdue)


def _day(value: dt.datetime | None) -> str:
    # A date range arrives as the first and last moments of its days: the days will do.
    return timezone.localtime(value).date().isoformat() if value else ""


def described(filterset: CaseExportFilter) -> str:
    """The filters in use, for the audit trail: names and codes, never a name typed in
    the search box (only how long it was)."""
    parts = []
    for key, value in sorted(filterset.form.cleaned_data.items()):
        if value in (None, "", [], ()) or (
            hasattr(value, "start") and not (value.start or value.stop)
        ):
            continue
        if key == "q":
            parts.append(f"q=<{len(value)} characters>")
        elif hasattr(value, "start"):
            parts.append(f"{key}={_day(value.start)}..{_day(value.stop)}")
        elif isinstance(value, list | tuple):
            parts.append(f"{key}={','.join(str(v) for v in value)}")
        else:
            parts.append(f"{key}={getattr(value, 'pk', value)}")
    return " ".join(parts)
