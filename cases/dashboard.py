"""The caseworker's day: what the admin's front page lists, and the weekly digest counts.

One function, `dashboard()`, returns a small view model: for the cases someone follows
(`caseload()`), six lists, each of at most `CAP` items with the total beside it and a
link to the admin list that shows them all. Every list is one query (its total is a
window count on the same rows), so the page costs the same number of queries for 3 cases
as for 3,000. Every list starts from `Family.objects.visible_to()`.

Whose cases: a caseworker's are those assigned to them or to their team (narrower than
what they may open); a supervisor's are everyone's, or one caseworker's (assigned to
them by name) or one team's. Advocates and petition editors follow no cases: they get
no dashboard (`follows_cases`).

The lists:
- follow-ups overdue, and due within `DUE_WITHIN_DAYS`: government contacts not answered;
- quiet cases: open cases with no contact with the family or a government for
  `QUIET_AFTER_DAYS`: no government contact, no news, testimony or letter on the
  timeline, and no separated person heard from, dated within that time (`quiet`);
- separations whose status has not changed for `STALE_AFTER_DAYS`: open ones whose last
  status change was recorded longer ago, or never (`stale_separations`);
- recent changes by others on these cases, from the audit trail (`recent_changes`): to
  their records, to the people on them, and merges of those people and their undos;
- published petitions for these cases, with their signature counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from cases import merging
from cases.models import (
    AuditEvent,
    Family,
    FamilyQuerySet,
    GovernmentContact,
    Membership,
    PersonMerge,
    Petition,
    PetitionText,
    Separation,
    StatusChange,
    Team,
    TimelineEntry,
)
from cases.partial_dates import PartialDate

CAP = 20  # items a list shows; the rest are counted and linked
DUE_WITHIN_DAYS = 7
QUIET_AFTER_DAYS = 90
STALE_AFTER_DAYS = 365
CHANGES_WITHIN_DAYS = 7

# Timeline entries that mean someone was in touch with the family.
FAMILY_CONTACT_KINDS = (
    TimelineEntry.Kind.CONTACT,
    TimelineEntry.Kind.TESTIMONY,
    TimelineEntry.Kind.LETTER,
)
CLOSED_SEPARATIONS = (Separation.Status.REUNITED, Separation.Status.CLOSED)
CHANGE_ACTIONS = (AuditEvent.Action.CREATE, AuditEvent.Action.CHANGE, AuditEvent.Action.DELETE)
PERSON = "cases.person"  # the audit trail's `object_type`s of a person and of a merge
MERGE = PersonMerge._meta.label_lower

# --- Whose cases ----------------------------------------------------------------------


def follows_cases(user: AbstractBaseUser) -> bool:
    """Caseworkers and supervisors carry cases; advocates and petition editors do not."""
    return bool(user.is_active and user.is_staff and user.has_perm("cases.change_family"))


def sees_everyone(user: AbstractBaseUser) -> bool:
    return user.has_perm("cases.view_all_cases")


def assigned_to(user: AbstractBaseUser) -> Q:
    """Cases assigned to `user` by name or to one of their teams (a Family filter)."""
    by_name = Exists(Family.caseworkers.through.objects.filter(family=OuterRef("pk"), user=user))
    return by_name | Q(team__in=Team.objects.filter(members=user))


def caseload(
    user: AbstractBaseUser,
    *,
    caseworker: AbstractBaseUser | None = None,
    team: Team | None = None,
) -> FamilyQuerySet:
    """The cases `user`'s dashboard is about, among those they may open.

    Someone who sees every case (a supervisor) gets all of them, or those assigned by
    name to `caseworker`, or those of `team`, or both. Anyone else gets the cases
    assigned to them or their team; `caseworker` and `team` are ignored."""
    families = Family.objects.visible_to(user)
    if not sees_everyone(user):
        return families.filter(assigned_to(user))
    if caseworker is not None:
        families = families.filter(
            Exists(
                Family.caseworkers.through.objects.filter(family=OuterRef("pk"), user=caseworker)
            )
        )
    if team is not None:
        families = families.filter(team=team)
    return families


def caseworker_choices() -> models.QuerySet:
    """Active staff who may carry cases: the supervisor's "caseworker" filter."""
    permission = Permission.objects.filter(
        codename="change_family", content_type__app_label="cases"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permission)
            | Q(groups__permissions__in=permission)
        )
        .distinct()
        .order_by("username")
    )


# --- The rules behind the lists (also the admin list filters') ----------------------


def _recent(field_name: str, cutoff: dt.date) -> Q:
    """A partial date (ISO text) on or after `cutoff`. A year or month known only as
    such counts while it reaches `cutoff`: "2026-03" is recent for a cutoff of 2026-03-20."""
    return Q(**{f"{field_name}__gte": cutoff.isoformat()}) | Q(
        **{f"{field_name}__in": [f"{cutoff:%Y}", f"{cutoff:%Y-%m}"]}
    )


def quiet(
    families: FamilyQuerySet, *, days: int = QUIET_AFTER_DAYS, today: dt.date | None = None
) -> FamilyQuerySet:
    """Open cases with no contact with the family or a government for `days`."""
    cutoff = (today or timezone.localdate()) - dt.timedelta(days=days)
    case = OuterRef("pk")
    government = GovernmentContact.objects.filter(_recent("contacted_on", cutoff), family=case)
    news = TimelineEntry.objects.filter(
        _recent("occurred_on", cutoff), family=case, kind__in=FAMILY_CONTACT_KINDS
    )
    heard = Separation.objects.filter(_recent("person__last_contact", cutoff), family=case)
    return families.open().filter(~Exists(government), ~Exists(news), ~Exists(heard))


def _last_status_change() -> Subquery:
    return Subquery(
        StatusChange.objects.filter(separation=OuterRef("pk"))
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )


def stale_separations(
    separations: models.QuerySet[Separation],
    *,
    days: int = STALE_AFTER_DAYS,
    now: dt.datetime | None = None,
) -> models.QuerySet[Separation]:
    """Open separations whose status was last changed more than `days` ago, or never,
    annotated with `status_changed_at`."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    return (
        separations.exclude(status__in=CLOSED_SEPARATIONS)
        .annotate(status_changed_at=_last_status_change())
        .filter(Q(status_changed_at__lt=cutoff) | Q(status_changed_at__isnull=True))
    )


def with_stale_separation(
    families: FamilyQuerySet, *, days: int = STALE_AFTER_DAYS
) -> FamilyQuerySet:
    stale = stale_separations(Separation.objects.filter(family=OuterRef("pk")), days=days)
    return families.filter(Exists(stale))


def _on_cases(families: FamilyQuerySet | OuterRef) -> list[models.QuerySet]:
    """The memberships and the separations of these cases (or of the case referred to)."""
    lookup = "family" if isinstance(families, OuterRef) else "family__in"
    return [model.objects.filter(**{lookup: families}) for model in (Membership, Separation)]


def _person_keys(families: FamilyQuerySet | OuterRef) -> list[models.QuerySet]:
    """The ids, as audit-trail text, of the people on these cases (members, separated)."""
    return [
        rows.annotate(key=Cast("person_id", CharField())).values("key")
        for rows in _on_cases(families)
    ]


def _merge_keys(families: FamilyQuerySet | OuterRef) -> models.QuerySet:
    """The ids, as audit-trail text, of the merges of someone on these cases: after a
    merge its kept record is on them, after its undo the merged one may be again."""
    on_cases = Q()
    for rows in _on_cases(families):
        people = rows.values("person_id")
        on_cases |= Q(kept__in=people) | Q(merged__in=people)
    return PersonMerge.objects.filter(on_cases).annotate(key=Cast("pk", CharField())).values("key")


def _changes_by_others(user: AbstractBaseUser, since: dt.datetime) -> models.QuerySet:
    # `exclude(actor=user)` keeps the rows without an actor (written by the system).
    return AuditEvent.objects.filter(at__gte=since, action__in=CHANGE_ACTIONS).exclude(actor=user)


def recent_changes(
    families: FamilyQuerySet,
    *,
    user: AbstractBaseUser,
    days: int = CHANGES_WITHIN_DAYS,
    now: dt.datetime | None = None,
) -> models.QuerySet[AuditEvent]:
    """What others created, changed or deleted in the last `days` on these cases: their
    records (the audit trail's case reference), the people on them, and the merges of
    those people and their undos (`cases.merging`)."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    members, separated = _person_keys(families)
    on_people = Q(object_type=PERSON) & (Q(object_id__in=members) | Q(object_id__in=separated))
    merges = Q(object_type=MERGE, object_id__in=_merge_keys(families))
    return _changes_by_others(user, since).filter(
        Q(case_reference__in=families.values("reference")) | on_people | merges
    )


def changed_cases(
    families: FamilyQuerySet, *, user: AbstractBaseUser, days: int = CHANGES_WITHIN_DAYS
) -> FamilyQuerySet:
    """The cases `recent_changes` would list changes on."""
    events = _changes_by_others(user, timezone.now() - dt.timedelta(days=days))
    members, separated = _person_keys(OuterRef(OuterRef("pk")))
    merges = _merge_keys(OuterRef(OuterRef(OuterRef("pk"))))  # events, merges, memberships
    return families.filter(
        Exists(events.filter(case_reference=OuterRef("reference")))
        | Exists(events.filter(object_type=PERSON, object_id__in=members))
        | Exists(events.filter(object_type=PERSON, object_id__in=separated))
        | Exists(events.filter(object_type=MERGE, object_id__in=merges))
    )


# --- The view model -------------------------------------------------------------------


@dataclass(frozen=True)
class Section[T]:
    """One list of the dashboard: its first items, how many there are in all, and the
    admin list with all of them ("" where none can show exactly these)."""

    items: list[T]
    total: int
    more_url: str = ""

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    @property
    def references(self) -> list[str]:
        """The case references of the items shown, each once, in order."""
        return list(dict.fromkeys(item.reference for item in self.items if item.reference))


@dataclass(frozen=True)
class FollowUp:
    reference: str
    case_url: str
    url: str
    body: str
    government: str
    due: dt.date
    overdue: bool


@dataclass(frozen=True)
class QuietCase:
    reference: str
    name: str
    url: str
    last_contact: PartialDate | None


@dataclass(frozen=True)
class StaleSeparation:
    reference: str
    case_url: str
    url: str
    person: str
    status: str
    status_changed_at: dt.datetime | None


@dataclass(frozen=True)
class Change:
    reference: str
    url: str
    record: str  # the kind of record, e.g. "government contact"
    action: str  # the audit trail's (create, change, delete), or merging.MERGED or UNDONE
    fields: list[str]
    actor: str
    at: dt.datetime


@dataclass(frozen=True)
class OpenPetition:
    title: str
    url: str
    signatures: int
    references: list[str]  # those of the cases this dashboard is about


@dataclass(frozen=True)
class PetitionSection(Section[OpenPetition]):
    signatures: int = 0  # of all the petitions counted, not only those shown

    @property
    def references(self) -> list[str]:
        return list(dict.fromkeys(ref for item in self.items for ref in item.references))


@dataclass(frozen=True)
class Dashboard:
    everyone: bool  # a supervisor's view of every case, unfiltered
    overdue: Section[FollowUp]
    due_soon: Section[FollowUp]
    quiet: Section[QuietCase]
    stale: Section[StaleSeparation]
    changes: Section[Change]
    petitions: PetitionSection
    links: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not any(
            section.total
            for section in (
                self.overdue,
                self.due_soon,
                self.quiet,
                self.stale,
                self.changes,
                self.petitions,
            )
        )


def _capped(queryset: models.QuerySet) -> tuple[list[Any], int]:
    """The first CAP rows and the number of all rows, in one query."""
    rows = list(queryset.annotate(dashboard_total=Window(Count("pk")))[:CAP])
    return rows, rows[0].dashboard_total if rows else 0


def _family_url(pk: int) -> str:
    return reverse("admin:cases_family_change", args=[pk])


def _list_url(scope: dict[str, str], **params: str) -> str:
    return f"{reverse('admin:cases_family_changelist')}?{urlencode({**scope, **params})}"


def _scope_params(
    user: AbstractBaseUser, caseworker: AbstractBaseUser | None, team: Team | None
) -> dict[str, str]:
    """The family list's filters that select this dashboard's cases."""
    if not sees_everyone(user):
        return {"assigned": "me"}
    params = {}
    if caseworker is not None:
        params["caseworkers__id__exact"] = str(caseworker.pk)
    if team is not None:
        params["team__id__exact"] = str(team.pk)
    return params


def _follow_ups(
    families: FamilyQuerySet, lookups: dict[str, dt.date], today: dt.date, more_url: str
) -> Section[FollowUp]:
    contacts = (
        GovernmentContact.objects.filter(family__in=families, response_on="", **lookups)
        .select_related("family")
        .order_by("follow_up_on", "pk")
    )
    rows, total = _capped(contacts)
    items = [
        FollowUp(
            reference=contact.family.reference,
            case_url=_family_url(contact.family_id),
            url=reverse("admin:cases_governmentcontact_change", args=[contact.pk]),
            body=contact.body,
            government=str(contact.government.name) if contact.government else "",
            due=contact.follow_up_on,
            overdue=contact.follow_up_on < today,
        )
        for contact in rows
    ]
    return Section(items, total, more_url)


def _last_contact() -> Greatest:
    """The latest contact date of a case (ISO text, "" if none), for showing and sorting."""
    case = OuterRef("pk")
    sources = [
        (GovernmentContact.objects.filter(family=case), "contacted_on"),
        (TimelineEntry.objects.filter(family=case, kind__in=FAMILY_CONTACT_KINDS), "occurred_on"),
        (Separation.objects.filter(family=case), "person__last_contact"),
    ]
    latest = [
        Coalesce(
            Subquery(source.order_by(f"-{date}").values(date)[:1], output_field=CharField()),
            Value(""),
        )
        for source, date in sources
    ]
    return Greatest(*latest, output_field=CharField())


def _quiet(families: FamilyQuerySet, today: dt.date, more_url: str) -> Section[QuietCase]:
    cases = (
        quiet(families, today=today)
        .annotate(latest_contact=_last_contact())
        .order_by("latest_contact", "-priority", "reference")
    )
    rows, total = _capped(cases)
    items = [
        QuietCase(
            reference=family.reference,
            name=family.name,
            url=_family_url(family.pk),
            last_contact=PartialDate.parse(family.latest_contact)
            if family.latest_contact
            else None,
        )
        for family in rows
    ]
    return Section(items, total, more_url)


def _stale(families: FamilyQuerySet, now: dt.datetime, more_url: str) -> Section[StaleSeparation]:
    separations = (
        stale_separations(Separation.objects.filter(family__in=families), now=now)
        .select_related("person", "family")
        .order_by(F("status_changed_at").asc(nulls_first=True), "pk")
    )
    rows, total = _capped(separations)
    items = [
        StaleSeparation(
            reference=separation.family.reference,
            case_url=_family_url(separation.family_id),
            url=reverse("admin:cases_separation_change", args=[separation.pk]),
            person=str(separation.person),
            status=str(separation.get_status_display()),
            status_changed_at=separation.status_changed_at,
        )
        for separation in rows
    ]
    return Section(items, total, more_url)


def _record_label(object_type: str, field_names: list[str]) -> tuple[str, list[str]]:
    """The record kind and the changed fields' labels, from the audit trail's names."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type, []
    labels = []
    for name in field_names:
        try:
            labels.append(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            continue  # a form-only field, e.g. the date a status took effect
    return str(model._meta.verbose_name), labels


def _merge_subject(families: FamilyQuerySet) -> Coalesce:
    """Of the merge an audit row is about, the record on these cases (the kept one first),
    its id as text: the person the dashboard links the merge to."""
    merge = PersonMerge.objects.annotate(key=Cast("pk", CharField())).filter(
        key=OuterRef(OuterRef("object_id"))
    )
    return Coalesce(
        *(
            Subquery(
                rows.filter(Exists(merge.filter(**{record: OuterRef("person")})))
                .annotate(key=Cast("person_id", CharField()))
                .order_by("family__reference")
                .values("key")[:1]
            )
            for record in ("kept", "merged")
            for rows in _on_cases(families)
        )
    )


def _changes(
    families: FamilyQuerySet, user: AbstractBaseUser, now: dt.datetime, more_url: str
) -> Section[Change]:
    members, separated = _person_keys(families)
    # The person a row is about: the one changed, or the one a merge is linked to.
    subject = Case(When(object_type=MERGE, then=_merge_subject(families)), default=F("object_id"))
    event = OuterRef("subject")
    events = (
        recent_changes(families, user=user, now=now)
        .select_related("actor")
        .annotate(subject=subject)
        .annotate(
            family_pk=Subquery(
                Family.objects.filter(reference=OuterRef("case_reference")).values("pk")[:1]
            ),
            person_reference=Coalesce(
                Subquery(
                    members.filter(key=event)
                    .order_by("family__reference")
                    .values("family__reference")[:1]
                ),
                Subquery(
                    separated.filter(key=event)
                    .order_by("family__reference")
                    .values("family__reference")[:1]
                ),
            ),
        )
        .order_by("-at", "-pk")
    )
    rows, total = _capped(events)
    items = []
    for row in rows:
        record, fields = _record_label(row.object_type, row.fields)
        if row.object_type in (PERSON, MERGE):
            url = reverse("admin:cases_person_change", args=[row.subject]) if row.subject else ""
            reference = row.person_reference or ""
        else:
            url = _family_url(row.family_pk) if row.family_pk else ""
            reference = row.case_reference
        merged = row.object_type == MERGE and row.detail in (merging.MERGED, merging.UNDONE)
        items.append(
            Change(
                reference=reference,
                url=url,
                record=record,
                action=row.detail if merged else row.action,
                fields=fields,
                actor=row.actor.get_username() if row.actor else "",
                at=row.at,
            )
        )
    return Section(items, total, more_url)


def _petition_title(petition: Petition, language: str) -> str:
    texts = {text.language: text.title for text in petition.texts.all()}
    return texts.get(language) or texts.get(petition.fallback_language) or petition.slug


def _petitions(families: FamilyQuerySet, user: AbstractBaseUser) -> PetitionSection:
    on_these_cases = Petition.families.through.objects.filter(
        petition=OuterRef("pk"), family__in=families
    )
    petitions = (
        Petition.objects.filter(Exists(on_these_cases), status=Petition.Status.PUBLISHED)
        .annotate(dashboard_signatures=Window(Sum("signature_count")))
        .prefetch_related(
            models.Prefetch(
                "families",
                queryset=families.only("pk", "reference").order_by("reference"),
                to_attr="followed_cases",
            ),
            models.Prefetch(
                "texts", queryset=PetitionText.objects.only("petition", "language", "title")
            ),
        )
        .order_by("-signature_count", "pk")
    )
    rows, total = _capped(petitions)
    in_admin = user.has_perm("cases.view_petition")
    language = get_language() or ""
    items = [
        OpenPetition(
            title=_petition_title(petition, language),
            url=reverse("admin:cases_petition_change", args=[petition.pk])
            if in_admin
            else reverse("public:petition_detail", kwargs={"slug": petition.slug}),
            signatures=petition.signature_count,
            references=[family.reference for family in petition.followed_cases],
        )
        for petition in rows
    ]
    more_url = ""
    if in_admin:
        more_url = f"{reverse('admin:cases_petition_changelist')}?status__exact=published"
    signatures = rows[0].dashboard_signatures if rows else 0
    return PetitionSection(items, total, more_url, signatures=signatures or 0)


def dashboard(
    *,
    user: AbstractBaseUser,
    caseworker: AbstractBaseUser | None = None,
    team: Team | None = None,
) -> Dashboard:
    """The dashboard of `user` (one query a list). A supervisor may narrow it to one
    caseworker's or one team's cases; for anyone else those are ignored."""
    today = timezone.localdate()
    now = timezone.now()
    families = caseload(user, caseworker=caseworker, team=team)
    scope = _scope_params(user, caseworker, team)
    horizon = today + dt.timedelta(days=DUE_WITHIN_DAYS)
    return Dashboard(
        everyone=sees_everyone(user) and caseworker is None and team is None,
        overdue=_follow_ups(
            families,
            {"follow_up_on__lt": today},
            today,
            _list_url(scope, follow_up="overdue"),
        ),
        due_soon=_follow_ups(
            families,
            {"follow_up_on__gte": today, "follow_up_on__lte": horizon},
            today,
            _list_url(scope, follow_up="due"),
        ),
        quiet=_quiet(families, today, _list_url(scope, attention="quiet")),
        stale=_stale(families, now, _list_url(scope, attention="stale")),
        changes=_changes(families, user, now, _list_url(scope, attention="changed")),
        petitions=_petitions(families, user),
        links={"all": _list_url(scope)},
    )
