"""Who may see what: the one place for record visibility and field-level rules.

Record visibility: `visible(queryset, user)` narrows any case-record queryset to the
cases the user may open (`Family.objects.visible_to`). Field rules: `PRIVATE_FIELDS`
lists what only roles with `cases.view_private_fields` may see: contact details of
relatives, exact locations inside China, identity document numbers, internal notes
and evidence files. Admin pages, timelines and exports all ask this module; none keeps
its own list.
"""

from __future__ import annotations

from typing import NoReturn

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from cases.audit import audit_record
from cases.models import (
    AuditEvent,
    Family,
    GovernmentContact,
    Membership,
    Person,
    Separation,
    StatusChange,
    TimelineEntry,
)

User = AbstractBaseUser | AnonymousUser

PRIVATE_FIELDS: dict[type[models.Model], frozenset[str]] = {
    # An identity document number identifies the person to the authorities.
    Person: frozenset({"contact_details", "location_place", "notes", "id_number"}),
    Family: frozenset({"internal_summary"}),
    Separation: frozenset({"details", "last_seen_place"}),
    StatusChange: frozenset({"note"}),
    # The original file name can name a person ("Gulnar passport.pdf"): private too.
    TimelineEntry: frozenset({"source_document", "source_document_name"}),
    GovernmentContact: frozenset(),
    Membership: frozenset(),
}

# Who is on a case and whether it is hidden: only supervisors decide.
ASSIGNMENT_FIELDS = frozenset({"caseworkers", "team", "restricted"})


def can_see_private(user: User) -> bool:
    return user.has_perm("cases.view_private_fields")


def hidden_fields(user: User, model: type[models.Model]) -> frozenset[str]:
    """The fields of `model` this user must not see, in any form."""
    if can_see_private(user):
        return frozenset()
    return PRIVATE_FIELDS.get(model, frozenset())


def readonly_fields(user: User, model: type[models.Model]) -> frozenset[str]:
    """Fields the user may see but not set."""
    if model is Family and not user.has_perm("cases.assign_caseworkers"):
        return ASSIGNMENT_FIELDS
    return frozenset()


def is_case_record(model: type[models.Model]) -> bool:
    """Whether `visible()` narrows this model: people, cases and the records of a case."""
    return model in PRIVATE_FIELDS


def visible[M: models.Model](queryset: models.QuerySet[M], user: User) -> models.QuerySet[M]:
    """Narrow a queryset of any case record to what `user` may find and open."""
    if queryset.model in (Family, Person):
        return queryset.visible_to(user)
    return queryset.filter(family__in=Family.objects.visible_to(user))


def refuse(request: HttpRequest, model: type[models.Model], pk: object, what: str = "") -> NoReturn:
    """The answer to a record the user may not open: the same 404 as a missing record.
    If the record does exist, the attempt goes on the audit trail (a typo does not).

    Call it outside any transaction the 404 rolls back, or the audit row goes too.
    """
    try:
        exists = model._default_manager.filter(pk=pk).exists()
    except (ValueError, TypeError, ValidationError):
        exists = False
    if exists:
        audit_record(
            action=AuditEvent.Action.ACCESS_REFUSED,
            request=request,
            detail=" ".join(filter(None, [model._meta.label_lower, str(pk), what])),
        )
    raise Http404(_("No such record."))
