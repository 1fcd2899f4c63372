"""Merging two records of one person, and undoing it.

`person_merge(kept=, merged=, actor=)` moves everything that links the merged record
to the cases: its memberships (where the kept record is a member of the same case
already, the merged one's membership is dropped and remembered), its separations, the
"separated from" links of others' separations, the cases it is the reporting contact
of, and its changes of condition. Government contacts and timeline entries belong to
a case or a separation, so they move with them. The merged record is then marked
`merged_into` the kept one, which takes it out of every list; nothing is deleted.

Each case touched gets a timeline entry and the audit trail a row, and the
`PersonMerge` row records every moved row, so `person_merge_undo()` puts each back.

Only someone who may open every case of both records may merge them: a merge must
never move a record out of, or into, a case its author cannot see.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import audit_record
from cases.models import (
    AuditEvent,
    ConditionChange,
    Family,
    Membership,
    Person,
    PersonMerge,
    Separation,
    TimelineEntry,
)
from cases.partial_dates import PartialDate

SOURCE = "Reunite"
# The audit trail's `detail` of a merge and of its undo (the dashboard tells them apart).
MERGED = "merge"
UNDONE = "merge undone"


def _families_of(person: Person) -> set[int]:
    return (
        set(Membership.objects.filter(person=person).values_list("family_id", flat=True))
        | set(Separation.objects.filter(person=person).values_list("family_id", flat=True))
        | set(Family.objects.filter(reporting_contact=person).values_list("pk", flat=True))
        | set(
            Separation.separated_from.through.objects.filter(person=person).values_list(
                "separation__family_id", flat=True
            )
        )
    )


def _check_may_merge(actor: AbstractBaseUser, *people: Person) -> set[int]:
    families = set().union(*(_families_of(person) for person in people))
    visible = set(
        Family.objects.visible_to(actor).filter(pk__in=families).values_list("pk", flat=True)
    )
    if families - visible or not actor.has_perm("cases.change_person"):
        raise ValidationError(
            _("One of these records is on a case you cannot open; ask a supervisor."),
            code="hidden",
        )
    return families


def _note_on_timelines(families: set[int], title: str, actor: AbstractBaseUser) -> None:
    today = PartialDate.from_date(timezone.localdate())
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            family_id=family_id,
            occurred_on=today,
            kind=TimelineEntry.Kind.OTHER,
            title=title[:200],
            source=_("%(app)s: recorded by %(user)s") % {"app": SOURCE, "user": actor},
            created_by=actor,
        )
        for family_id in sorted(families)
    )


@transaction.atomic
def person_merge(*, kept: Person, merged: Person, actor: AbstractBaseUser) -> PersonMerge:
    """Move every link of `merged` to `kept` (see the module docstring)."""
    kept, merged = (
        Person.objects.select_for_update().get(pk=kept.pk),
        Person.objects.select_for_update().get(pk=merged.pk),
    )
    if kept.pk == merged.pk:
        raise ValidationError(_("A record cannot be merged into itself."), code="same")
    if kept.merged_into_id or merged.merged_into_id:
        raise ValidationError(
            _("One of these records has been merged already."), code="merged_already"
        )
    families = _check_may_merge(actor, kept, merged)

    kept_in = set(Membership.objects.filter(person=kept).values_list("family_id", flat=True))
    memberships = Membership.objects.filter(person=merged)
    dropped = [
        {"family": m.family_id, "role": m.role} for m in memberships if m.family_id in kept_in
    ]
    memberships.filter(family_id__in=kept_in).delete()
    through = Separation.separated_from.through
    separated_from = list(through.objects.filter(person=merged).values_list("pk", flat=True))
    already = set(through.objects.filter(person=kept).values_list("separation_id", flat=True))
    duplicate_links = list(
        through.objects.filter(person=merged, separation_id__in=already).values_list(
            "separation_id", flat=True
        )
    )
    moved = {
        "memberships": list(memberships.values_list("pk", flat=True)),
        "dropped_memberships": dropped,
        "separations": list(Separation.objects.filter(person=merged).values_list("pk", flat=True)),
        "separated_from": separated_from,
        "dropped_separated_from": duplicate_links,
        "reporting_for": list(
            Family.objects.filter(reporting_contact=merged).values_list("pk", flat=True)
        ),
        "conditions": list(
            ConditionChange.objects.filter(person=merged).values_list("pk", flat=True)
        ),
    }
    Membership.objects.filter(pk__in=moved["memberships"]).update(person=kept)
    Separation.objects.filter(pk__in=moved["separations"]).update(person=kept)
    through.objects.filter(person=merged, separation_id__in=duplicate_links).delete()
    through.objects.filter(person=merged).update(person=kept)
    Family.objects.filter(pk__in=moved["reporting_for"]).update(reporting_contact=kept)
    ConditionChange.objects.filter(pk__in=moved["conditions"]).update(person=kept)
    Person.objects.filter(pk=merged.pk).update(merged_into=kept)

    merge = PersonMerge.objects.create(kept=kept, merged=merged, moved=moved, actor=actor)
    _note_on_timelines(
        families,
        _("Two records of one person merged: %(merged)s into %(kept)s")
        % {"merged": merged, "kept": kept},
        actor,
    )
    audit_record(action=AuditEvent.Action.CHANGE, actor=actor, obj=merge, detail=MERGED)
    return merge


@transaction.atomic
def person_merge_undo(*, merge: PersonMerge, actor: AbstractBaseUser) -> PersonMerge:
    """Put every row the merge moved back where it was."""
    merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError(_("This merge has been undone already."), code="undone")
    kept, merged = merge.kept, merge.merged
    families = _check_may_merge(actor, kept, merged)
    moved = merge.moved
    Membership.objects.filter(pk__in=moved["memberships"]).update(person=merged)
    Membership.objects.bulk_create(
        Membership(family_id=row["family"], person=merged, role=row["role"])
        for row in moved["dropped_memberships"]
    )
    Separation.objects.filter(pk__in=moved["separations"]).update(person=merged)
    through = Separation.separated_from.through
    through.objects.filter(pk__in=moved["separated_from"]).update(person=merged)
    through.objects.bulk_create(
        through(separation_id=separation_id, person=merged)
        for separation_id in moved["dropped_separated_from"]
    )
    Family.objects.filter(pk__in=moved["reporting_for"]).update(reporting_contact=merged)
    ConditionChange.objects.filter(pk__in=moved["conditions"]).update(person=merged)
    Person.objects.filter(pk=merged.pk).update(merged_into=None)

    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])
    _note_on_timelines(
        families | _families_of(merged),
        _("Merge undone: %(merged)s and %(kept)s are two records again")
        % {"merged": merged, "kept": kept},
        actor,
    )
    audit_record(action=AuditEvent.Action.CHANGE, actor=actor, obj=merge, detail=UNDONE)
    return merge
