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
from cases.models import AuditEvent, Family, TimelineEntry
from cases.partial_dates import PartialDate


@dataclass(frozen=True)
class ImportResult:
    families: list[Family]
    rows: int
    people_created: int
    # Rows attached to a person on record, or to the person of an earlier row.
    people_linked: int
    separations: int

    @property
    def references(self) -> list[str]:
        return [family.reference for family in self.families]


def _cases(rows: Sequence[ImportRow]) -> list[tuple[ImportCase, list[ImportRow]]]:
    grouped: dict[int, tuple[ImportCase, list[ImportRow]]] = {}
    for row in rows:
        grouped.setdefault(id(row.case), (row.case, []))[1].append(row)
    return list(grouped.values())


def _member(row: ImportRow) -> services.NewMember:
    """What the row adds to its case: its own new person, in the row's condition, or the
    person it was decided to be (on record, or of an earlier row), as they are."""
    person = row.stands_for
    return services.NewMember(
        family=row.case.family,
        person=person,
        role=row.role,
        separation=row.separation,
        condition=row.condition if person is row.person else None,
        label=_("Row %(row)d") % {"row": row.number},
    )


@transaction.atomic
def import_rows(
    *, rows: Sequence[ImportRow], actor: AbstractBaseUser, source_name: str
) -> ImportResult:
    """Create the cases, people, memberships and separations of `rows` (checked by
    `check_sheet`, none refused, every possible duplicate decided), all or nothing.

    The cases are created by `services.families_create` (so they are assigned to an
    importer who cannot see every case), their people by `services.members_add` (their
    separation and condition on the timeline, with the row as the source): the services
    a case entered by hand goes through. They validate every record by its model's
    rules and write each model in one INSERT a batch of rows, so that the number of
    queries does not grow with the file (issue 10: 10,000 rows in under a minute).
    Every row gets a timeline entry "Imported from FILE, row N"; the import is one row
    of the audit trail, with the file name and counts, never a cell's value.
    """
    if not rows:
        raise ValueError("import_rows() needs rows")
    if any(row.case.rejected or not (row.decided and row.case.contact_decided) for row in rows):
        raise ValueError("import_rows() takes checked rows, none refused or undecided")
    cases = [case for case, _case_rows in _cases(rows)]
    for case in cases:
        case.family.reporting_contact = case.contact_same_as or case.contact
    members = [_member(row) for row in rows]
    everyone = [*(case.family.reporting_contact for case in cases), *(m.person for m in members)]
    created = len({id(person) for person in everyone if person is not None and person.pk is None})
    linked = sum(1 for row in rows if row.stands_for is not row.person)
    families = services.families_create(
        families=[case.family for case in cases],
        notes=[import_source(source_name, case.first_row) for case in cases],
        actor=actor,
    )
    added = services.members_add(members=members, actor=actor)
    today = PartialDate.from_date(timezone.localdate())
    # One insert a batch: the entries' rule (a source) is the database's own constraint.
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                family=row.case.family,
                separation=item.separation,
                occurred_on=today,
                kind=TimelineEntry.Kind.OTHER,
                title=import_source(source_name, row.number),
                source=import_source(source_name, row.number),
                created_by=actor,
            )
            for row, item in zip(rows, added, strict=True)
        ],
        batch_size=500,
    )
    separations = sum(1 for item in added if item.separation is not None)
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
