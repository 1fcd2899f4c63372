"""Writing a checked sheet: `import_rows()`, in one transaction, through the services
a hand-entered case goes through, so the timelines are what they would be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services
from cases.audit import audit_record
from cases.imports.rows import ImportCase, ImportRow, import_source
from cases.models import AuditEvent, Family, Membership, Separation, TimelineEntry
from cases.partial_dates import PartialDate


@dataclass(frozen=True)
class ImportResult:
    families: list[Family]
    rows: int
    people_created: int
    people_linked: int  # rows attached to a person already on record
    separations: int

    @property
    def references(self) -> list[str]:
        return [family.reference for family in self.families]


def _existing_person_row(
    row: ImportRow, family: Family, actor: AbstractBaseUser | None
) -> Separation | None:
    """A row the caseworker said is a person on record: a member of the new case, and
    separated as the row says. The person's own record is left as it is."""
    Membership.objects.create(family=family, person=row.same_as, role=row.role)
    if row.separation is None:
        return None
    separation = Separation(
        family=family,
        person=row.same_as,
        since=row.separation.since,
        circumstance=row.separation.circumstance,
        status=row.separation.status,
    )
    separation.full_clean(exclude=["family", "person", "separated_from"])
    return services.separation_create(
        separation=separation, actor=actor, effective_on=row.separation.status_effective_on
    )


def _cases(rows: Sequence[ImportRow]) -> list[tuple[ImportCase, list[ImportRow]]]:
    grouped: dict[int, tuple[ImportCase, list[ImportRow]]] = {}
    for row in rows:
        grouped.setdefault(id(row.case), (row.case, []))[1].append(row)
    return list(grouped.values())


@transaction.atomic
def import_rows(
    *, rows: Sequence[ImportRow], actor: AbstractBaseUser, source_name: str
) -> ImportResult:
    """Create the cases, people, memberships and separations of `rows` (checked by
    `check_sheet`, none refused, every possible duplicate decided), all or nothing.

    Each case is created by `services.family_create` (so it is assigned to an importer
    who cannot see every case) and each new person by `services.family_add_people`
    (their separation and condition on the timeline, with the row as the source).
    Every row gets a timeline entry "Imported from FILE, row N"; the import is one row
    of the audit trail, with the file name and counts, never a cell's value.
    """
    if not rows:
        raise ValueError("import_rows() needs rows")
    if any(row.case.rejected or not (row.decided and row.case.contact_decided) for row in rows):
        raise ValueError("import_rows() takes checked rows, none refused or undecided")
    today = PartialDate.from_date(timezone.localdate())
    families, created, linked, separations = [], 0, 0, 0
    entries = []
    for case, case_rows in _cases(rows):
        family = case.family
        contact = case.contact_same_as or case.contact
        if contact is not None and contact.pk is None:
            contact.save()
            created += 1
        family.reporting_contact = contact
        services.family_create(
            family=family, actor=actor, note=import_source(source_name, case.first_row)
        )
        families.append(family)
        for row in case_rows:
            if row.same_as is not None:
                separation = _existing_person_row(row, family, actor)
                linked += 1
            else:
                (added,) = services.family_add_people(
                    family=family,
                    people=[row.person],
                    role=row.role,
                    actor=actor,
                    separation=row.separation,
                    condition=row.condition,
                )
                separation = added.separation
                created += 1
            separations += separation is not None
            source = import_source(source_name, row.number)
            entries.append(
                TimelineEntry(
                    family=family,
                    separation=separation,
                    occurred_on=today,
                    kind=TimelineEntry.Kind.OTHER,
                    title=source,
                    source=source,
                    created_by=actor,
                )
            )
    # One insert a batch: the entries' rule (a source) is the database's own constraint.
    TimelineEntry.objects.bulk_create(entries, batch_size=500)
    result = ImportResult(
        families=families,
        rows=len(rows),
        people_created=created,
        people_linked=linked,
        separations=separations,
    )
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        detail=(
            f"spreadsheet import {source_name[:80]}: {result.rows} rows, "
            f"{len(families)} cases, {created} people created, {linked} linked, "
            f"{separations} separations"
        ),
    )
    return result


def import_summary(result: ImportResult) -> str:
    """What the caseworker is told after an import."""
    return _(
        "%(rows)d rows imported: %(cases)d new cases, %(created)d people added, "
        "%(linked)d linked to people already on record."
    ) % {
        "rows": result.rows,
        "cases": len(result.families),
        "created": result.people_created,
        "linked": result.people_linked,
    }
