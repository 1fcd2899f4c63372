"""A spreadsheet file as rows of text: CSV (UTF-8 with or without a BOM, UTF-16 as
Excel saves "Unicode text") or XLSX (its first sheet). Anything else is refused with
a message that says what to do.

Limits keep a hostile or mistaken file from exhausting the server: `MAX_BYTES` for the
file, `MAX_UNZIPPED` for what an XLSX holds once unzipped (a zip bomb is refused before
openpyxl opens it), `MAX_ROWS` rows and `MAX_COLUMNS` columns (the rest is not read).
openpyxl reads in read-only mode, streaming the sheet, through defusedxml.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import openpyxl
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED = 100 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 60
CSV_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
EXTENSIONS = CSV_EXTENSIONS | XLSX_EXTENSIONS

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # XLS (Excel 97-2003), old DOC
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class SheetError(Exception):
    """Why the file cannot be read, for the caseworker. Never holds a cell value."""


@dataclass(frozen=True)
class Sheet:
    headings: list[str]
    # (the row's number in the file, counting the heading row, as a spreadsheet shows
    # it; its cells as text, as many as there are headings)
    rows: list[tuple[int, list[str]]]
    kind: str  # "CSV" or "XLSX"


def read_sheet(*, data: bytes, file_name: str) -> Sheet:
    """The heading row (the first row that is not empty) and the rows below it."""
    if len(data) > MAX_BYTES:
        raise SheetError(too_large_message())
    if not data.strip():
        raise SheetError(_("The file is empty."))
    extension = PurePath(file_name).suffix.lower()
    if data.startswith(_OLE2) or extension == ".xls":
        raise SheetError(
            _("Old Excel files (.xls) are not read: save it as .xlsx or as CSV UTF-8.")
        )
    if data.startswith(_ZIP):
        if extension not in XLSX_EXTENSIONS:
            raise SheetError(
                _("Only CSV and XLSX files can be imported: save it as .xlsx or as CSV UTF-8.")
            )
        return _table(_xlsx_rows(data), "XLSX")
    if extension not in CSV_EXTENSIONS:
        raise SheetError(
            _("Only CSV and XLSX files can be imported: save it as .xlsx or as CSV UTF-8.")
        )
    return _table(_csv_rows(data), "CSV")


def too_large_message() -> str:
    return _("The file is larger than %(size)d MB: split it into smaller files.") % {
        "size": MAX_BYTES // (1024 * 1024)
    }


def _table(rows: object, kind: str) -> Sheet:
    headings: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    for number, cells in rows:  # type: ignore[attr-defined]
        cells = [_text(cell) for cell in cells[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if headings is None:
            headings = cells
            continue
        if len(body) == MAX_ROWS:
            raise SheetError(
                ngettext(
                    "The file has more than %(count)d row: split it into smaller files.",
                    "The file has more than %(count)d rows: split it into smaller files.",
                    MAX_ROWS,
                )
                % {"count": MAX_ROWS}
            )
        body.append((number, cells))
    if headings is None:
        raise SheetError(_("The file is empty."))
    while headings and not headings[-1]:
        headings.pop()
    width = len(headings)
    return Sheet(
        headings=headings,
        rows=[(number, (cells + [""] * width)[:width]) for number, cells in body],
        kind=kind,
    )


def _text(value: object) -> str:
    """A cell as text. Dates as ISO dates, whole numbers without ".0"; nothing evaluated."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- CSV --------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(_UTF8_BOM):
        encoding = "utf-8-sig"
    elif data.startswith(_UTF16_BOMS):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise SheetError(
            _(
                "The file is not in UTF-8 or UTF-16, so its letters cannot be read safely. "
                "In Excel, save it as “CSV UTF-8” or “Unicode text”."
            )
        ) from None


def _csv_rows(data: bytes) -> object:
    text = _decode(data)
    if "\x00" in text:
        raise SheetError(_("The file holds NUL characters: it is not a text (CSV) file."))
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:65536], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel_tab if "\t" in text.partition("\n")[0] else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        # Numbered as a spreadsheet shows the rows (a cell may span several lines).
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error:
        raise SheetError(
            _("Line %(line)d of the file cannot be read as CSV.") % {"line": reader.line_num}
        ) from None


# --- XLSX -------------------------------------------------------------------------


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise SheetError(_("The file is not a valid XLSX file.")) from None
    if unzipped > MAX_UNZIPPED:
        raise SheetError(
            _(
                "The file would unzip to more than %(size)d MB: it is not an ordinary "
                "spreadsheet. Save it again from Excel, or split it."
            )
            % {"size": MAX_UNZIPPED // (1024 * 1024)}
        )


def _xlsx_rows(data: bytes) -> object:
    _check_zip(data)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise SheetError(_("The file is not a valid XLSX file.")) from None
    try:
        if not workbook.worksheets:
            raise SheetError(_("The file is empty."))
        sheet = workbook.worksheets[0]
        try:
            for number, cells in enumerate(
                sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1
            ):
                yield number, list(cells)
        except Exception:  # noqa: BLE001
            raise SheetError(_("The file is not a valid XLSX file.")) from None
    finally:
        workbook.close()
