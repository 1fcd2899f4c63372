"""The files of a case export, as chunks of bytes: one writer per layout and format.

Every row and every document is drawn from `cases.exports.summary` (where redaction
is decided once): a row per case from `case_brief`, anything else from `case_summary`,
over `iter_case_records(families)`, so a format can only show what the summary already
holds at that level; nothing here reads a model field itself. Each layout reads only
the records and fields it is drawn from: a row per case, the cases, their members
(not at the internal level), separations and contacts, and of those only the fields
the row shows (`summary.brief_reads`).
Public statistics are the exception: counts only, from `cases.exports.statistics`.

- CSV (`cases`, `people`): one flat row per case or per separated person, UTF-8 with a
  byte-order mark, every cell through `safe_cell` (`cells.csv_lines`), streamed.
- XLSX (`cases`, `people`): the same rows, in openpyxl's write-only mode. A zip cannot
  be sent before it is finished, so the workbook is written to a temporary file (rows
  go to disk as they are appended, never held as cells) and then read back in chunks.
  Text is neutralised as in CSV and always typed as text, never as a formula.
- JSON (`cases`): `{"schema", "schema_version", "level", "exported_at", "cases": […]}`,
  each case one `case_summary` document, written one case at a time. The schema is
  `cases/exports/schema/case-export-v1.schema.json` (its `$id` is `SCHEMA_ID`).
- PDF (`cases`, `wgeid`, `wgad`): laid out by `cases.exports.dossiers`.
- Statistics (`statistics`, public level): CSV or JSON of `cases.exports.statistics`.

Which layout comes in which format at which level is checked before this module is
called (`service.check_layout`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.exports import statistics
from cases.exports.cells import CHUNK_CHARS, csv_lines, safe_cell
from cases.exports.levels import Format, Level, User
from cases.exports.records import iter_case_records
from cases.exports.summary import (
    EVERY_PART,
    SCHEMA_VERSION,
    Part,
    brief_reads,
    case_brief,
    case_summary,
    records_read,
)
from cases.models import Family

SCHEMA_ID = "urn:reunite:schema:case-export-v1"
SCHEMA_PATH = "cases/exports/schema/case-export-v1.schema.json"
STATISTICS_SCHEMA_ID = "urn:reunite:schema:case-statistics-v1"
# Bytes of a finished XLSX file read back at a time.
FILE_CHUNK = 64 * 1024

Row = Sequence[Any]
Summary = dict[str, Any]


def summaries(
    families: QuerySet[Family], level: Level, parts: frozenset[Part] = EVERY_PART
) -> Iterator[Summary]:
    """Each case's summary at `level` with `parts`, streamed, with the day fixed once.
    Only the records those parts are made of are read."""
    today, language = timezone.localdate(), get_language()
    # Only the internal level reads the private fields: the others never decrypt them.
    records = iter_case_records(families, private=level == Level.INTERNAL, read=records_read(parts))
    for case in records:
        yield case_summary(case, level, today=today, parts=parts, language=language)


# --- Rows: one per case, one per separated person ---------------------------------------


def _label(choice: dict[str, str] | None) -> str | None:
    return choice["label"] if choice else None


def _country(country: dict[str, str] | None) -> str | None:
    return country["name"] if country else None


def case_header() -> list[str]:
    return [
        _("Reference"),
        _("Case name"),
        _("Host country"),
        _("Case status"),
        _("Separated people"),
        _("Separations (latest status)"),
        _("Last government contact"),
        _("Government"),
        _("Body"),
        _("Outcome"),
        _("Awaiting a response"),
        _("Next follow-up due"),
        _("Follow-up overdue"),
    ]


def case_row(brief: Summary) -> list[Any]:
    last = brief["last_contact"]
    return [
        brief["reference"],
        brief["name"],
        brief["host_country"],
        brief["status"],
        brief["separated_people"],
        "; ".join(f"{person}: {status or ''}" for person, status in brief["separations"]),
        last["contacted_on"] if last else None,
        last["government"] if last else None,
        last["body"] if last else None,
        last["outcome"] if last else None,
        brief["awaiting_response"],
        brief["next_follow_up"],
        brief["follow_up_overdue"],
    ]


def people_header() -> list[str]:
    return [
        _("Reference"),
        _("Person"),
        _("Role"),
        _("Condition"),
        _("Where they are"),
        _("Country"),
        _("Separation status"),
        _("Separated since"),
        _("How it happened"),
        _("Charge"),
        _("Sentence (years)"),
        _("Sentence start"),
        _("Sentence end"),
        _("Last contact"),
    ]


def people_rows(summary: Summary) -> Iterator[list[Any]]:
    """One row per separation of the case; the person's own fields from their entry in
    the summary's members (`member` is its place there)."""
    for separation in summary["separations"]:
        person = summary["members"][separation["member"]]
        yield [
            summary["reference"],
            separation["person"],
            _label(person["role"]),
            _label(person["condition"]),
            _label(person["whereabouts"]),
            _country(person["country"]),
            _label(separation["status"]),
            separation["since"],
            _label(separation["circumstance"]),
            person["charge"],
            person["sentence_years"],
            person["sentence_start"],
            person["sentence_end"],
            person["last_contact"],
        ]


def _case_rows(families: QuerySet[Family], level: Level) -> Iterator[list[Any]]:
    today, language = timezone.localdate(), get_language()
    read, fields = brief_reads(level)
    records = iter_case_records(
        families, private=level == Level.INTERNAL, read=read, fields=fields, plain=True
    )
    for case in records:
        yield case_row(case_brief(case, level, today=today, language=language))


# What a row per separated person is drawn from: neither contacts nor the timeline.
PERSON_ROW_PARTS = frozenset({Part.MEMBERS, Part.SEPARATIONS})


def _people_rows(families: QuerySet[Family], level: Level) -> Iterator[list[Any]]:
    for summary in summaries(families, level, PERSON_ROW_PARTS):
        yield from people_rows(summary)


# --- Writers -------------------------------------------------------------------------


def csv_file(header: Row, rows: Iterable[Row]) -> Iterator[bytes]:
    def lines() -> Iterator[Row]:
        yield header
        yield from rows

    for chunk in csv_lines(lines()):
        yield chunk.encode("utf-8")


def xlsx_value(value: Any) -> Any:
    """What an XLSX cell holds for `value`: numbers and booleans as themselves, nothing
    as an empty cell, anything else as neutralised text (`safe_cell`) without the
    control characters a worksheet may not hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or isinstance(value, bool | int | float):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value))


def xlsx_file(title: str, header: Row, rows: Iterable[Row]) -> Iterator[bytes]:
    """A one-sheet workbook of `rows`, written in write-only mode to a temporary file,
    then yielded in chunks."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])

    def cells(row: Row) -> list[Any]:
        result = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=xlsx_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even if a spreadsheet could read it otherwise
            result.append(cell)
        return result

    sheet.append(cells(header))
    for row in rows:
        sheet.append(cells(row))
    with tempfile.TemporaryFile(suffix=".xlsx") as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(FILE_CHUNK):
            yield chunk


def _gathered(parts: Iterable[str]) -> Iterator[bytes]:
    """Text parts gathered into chunks of about `CHUNK_CHARS`, encoded."""
    buffer: list[str] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= CHUNK_CHARS:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def json_document(head: dict[str, Any], key: str, items: Iterable[Any]) -> Iterator[bytes]:
    """`{**head, key: [items…]}`, written one item at a time: the head on the first
    line, then each item on a line of its own (after the first, starting with its
    comma), then `]}`, so a reader can also take the file a line at a time. JSON text
    holds no raw line break, so an item is never split across lines."""

    def parts() -> Iterator[str]:
        yield _dumps(head)[:-1] + f", {_dumps(key)}: ["
        for index, item in enumerate(items):
            yield "\n" + ("," if index else "") + _dumps(item)
        yield "\n]}\n"

    return _gathered(parts())


def _exported_at() -> str:
    return timezone.localtime().isoformat(timespec="seconds")


def cases_json(families: QuerySet[Family], level: Level) -> Iterator[bytes]:
    head = {
        "schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "level": str(level),
        "exported_at": _exported_at(),
    }
    yield from json_document(head, "cases", summaries(families, level))


def cases_pdf(
    families: QuerySet[Family], *, layout: str, level: Level, user: User
) -> Iterator[bytes]:
    from cases.exports.dossiers import dossier_pdf

    yield dossier_pdf(summaries(families, level), layout=layout, level=level, user=user)


def statistics_csv(families: QuerySet[Family]) -> Iterator[bytes]:
    header = [_("Table"), _("Code"), _("Category"), _("People or cases")]
    rows = (
        [table.title, row.code, row.label, row.shown]
        for table in statistics.case_statistics(families)
        for row in table.rows
    )
    yield from csv_file(header, rows)


def statistics_json(families: QuerySet[Family]) -> Iterator[bytes]:
    head = {
        "schema": STATISTICS_SCHEMA_ID,
        "schema_version": statistics.SCHEMA_VERSION,
        "level": str(Level.PUBLIC),
        "exported_at": _exported_at(),
        "suppression": statistics.suppression(),
    }
    tables = (table.as_json() for table in statistics.case_statistics(families))
    yield from json_document(head, "tables", tables)


def rows_csv(layout: str, families: QuerySet[Family], level: Level) -> Iterator[bytes]:
    title, header, rows = _tables()[layout]
    yield from csv_file(header, rows(families, level))


def rows_xlsx(layout: str, families: QuerySet[Family], level: Level) -> Iterator[bytes]:
    title, header, rows = _tables()[layout]
    yield from xlsx_file(title, header, rows(families, level))


def _tables() -> dict[str, tuple[str, Row, Callable[[QuerySet[Family], Level], Iterator[Row]]]]:
    from cases.exports.service import Layout

    return {
        Layout.CASES: (_("Cases"), case_header(), _case_rows),
        Layout.PEOPLE: (_("Separated people"), people_header(), _people_rows),
    }


def render(
    *, layout: str, fmt: Format | str, level: Level, families: QuerySet[Family], user: User
) -> Iterator[bytes]:
    """The export file of `families` (already narrowed to what `user` may open) as
    chunks of bytes. Nothing is read from the database, and no header translated,
    before the first chunk is asked for (by then in the language the file is sent in).
    Raises ValueError at once for a layout that does not come in this format."""
    from cases.exports.service import Layout

    fmt = Format(fmt)
    if layout == Layout.STATISTICS and fmt == Format.CSV:
        return statistics_csv(families)
    if layout == Layout.STATISTICS and fmt == Format.JSON:
        return statistics_json(families)
    if layout == Layout.CASES and fmt == Format.JSON:
        return cases_json(families, level)
    if fmt == Format.PDF and layout in (Layout.CASES, Layout.WGEID, Layout.WGAD):
        return cases_pdf(families, layout=layout, level=level, user=user)
    if layout in (Layout.CASES, Layout.PEOPLE) and fmt == Format.CSV:
        return rows_csv(layout, families, level)
    if layout in (Layout.CASES, Layout.PEOPLE) and fmt == Format.XLSX:
        return rows_xlsx(layout, families, level)
    raise ValueError(f"no {fmt} writer for the {layout} layout")


__all__ = ["SCHEMA_ID", "SCHEMA_PATH", "render", "summaries"]
