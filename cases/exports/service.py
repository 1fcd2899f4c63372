"""One entry point for every case export: `export_cases()`. The export page, the
admin action (through the page) and the `export_cases` command call it, so each
export passes the same checks and leaves the same record.

1. `check_export`: the level against the reader's role, and the size of the selection
   against their limit (a refusal is logged, then raised).
2. The layout and format must go together (`LAYOUTS`); statistics are the public
   level's only layout, and the public level has no other.
3. One audit row (`AuditEvent.Action.EXPORT`): who, when, layout, format, level, the
   filters (never a typed name), how many cases and people. Written before the first
   byte is sent, so an export interrupted half-way is still on the record.
4. The file, as chunks of bytes, drawn from `iter_case_records` -> `case_summary` (the
   one redaction function) -> the format's writer (`cases.exports.formats`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import audit_record
from cases.exports import formats
from cases.exports.levels import ExportRefused, Format, Level, User, check_export
from cases.models import AuditEvent, Family, Person


class Layout:
    CASES = "cases"  # one row or one nested document per case
    PEOPLE = "people"  # one row per separated person
    WGEID = "wgeid"  # UN Working Group on Enforced or Involuntary Disappearances
    WGAD = "wgad"  # UN Working Group on Arbitrary Detention
    STATISTICS = "statistics"  # counts only, small counts suppressed


LAYOUTS: dict[str, frozenset[Format]] = {
    Layout.CASES: frozenset({Format.CSV, Format.XLSX, Format.JSON, Format.PDF}),
    Layout.PEOPLE: frozenset({Format.CSV, Format.XLSX}),
    Layout.WGEID: frozenset({Format.PDF}),
    Layout.WGAD: frozenset({Format.PDF}),
    Layout.STATISTICS: frozenset({Format.CSV, Format.JSON}),
}

CONTENT_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.JSON: "application/json",
    Format.PDF: "application/pdf",
}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]
    cases: int
    people: int
    level: Level
    layout: str
    format: Format


def check_layout(level: Level, layout: str, fmt: Format | str) -> Format:
    """The format, if `layout` comes in it at `level`; else a ValueError that says why."""
    try:
        fmt = Format(fmt)
    except ValueError:
        raise ValueError(_("Unknown format.")) from None
    if layout not in LAYOUTS:
        raise ValueError(_("Unknown layout."))
    if fmt not in LAYOUTS[layout]:
        raise ValueError(_("This layout does not come in this format."))
    if (layout == Layout.STATISTICS) != (level == Level.PUBLIC):
        raise ValueError(_("Public statistics are the only export at the public level."))
    return fmt


def count_people(families: QuerySet[Family]) -> int:
    """How many people are on these cases (members or separated), each once. Counts
    primary keys, unordered: distinct whole rows, sorted by name, took most of a
    second on 100,000 cases."""
    ids = families.values("pk")
    people = Person.objects.filter(Q(memberships__family__in=ids) | Q(separations__family__in=ids))
    return people.order_by().values("pk").distinct().count()


def export_cases(
    *,
    user: User,
    level: Level | str,
    layout: str,
    fmt: Format | str,
    families: QuerySet[Family],
    filters: str = "",
    request: HttpRequest | None = None,
) -> ExportFile:
    """The export of `families` (filtered) at `level`, narrowed again here to what
    `user` may open, so that no caller can export a case its reader cannot see. Raises
    `ExportRefused` beyond the reader's role, `ValueError` for a layout and format
    that do not go together."""
    families = families.filter(pk__in=Family.objects.visible_to(user).values("pk"))
    cases = families.count()
    level = check_export(user=user, level=level, request=request, cases=cases)
    fmt = check_layout(level, layout, fmt)
    people = count_people(families)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        request=request,
        actor=None if request is not None else user,
        detail=(
            f"layout={layout} format={fmt} level={level} cases={cases} people={people}"
            + (f" filters: {filters}" if filters else "")
        ),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(
        filename=f"reunite-{layout}-{level}-{stamp}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
        chunks=formats.render(layout=layout, fmt=fmt, level=level, families=families, user=user),
        cases=cases,
        people=people,
        level=level,
        layout=layout,
        format=fmt,
    )


__all__ = [
    "ExportFile",
    "ExportRefused",
    "LAYOUTS",
    "Layout",
    "check_layout",
    "count_people",
    "export_cases",
]
