"""CSV that a spreadsheet opens as data, never as formulas, in every script.

A cell beginning with `=`, `+`, `-` or `@` is a formula to Excel, LibreOffice and
Google Sheets: a signer named `=HYPERLINK("https://…","Click")` would become a link,
and worse formulas can read other cells or start programs (CSV injection). OWASP's
advice is followed: such a text cell is prefixed with a single quote, which the
spreadsheet shows as text and does not evaluate. Tab and carriage return are on
OWASP's list too, since some spreadsheets drop them and read what follows.

Decision: the check also looks past leading whitespace (`"  =1+1"`), because some
importers trim cells before reading them. Names are stored trimmed, so in practice
only free text such as a postcode is ever changed by this; the cost of being wrong the
other way is a formula.

Only text is neutralised. Numbers stay numbers: a negative count is not a formula and
is written as `-3`. Dates are written as ISO 8601.

Excel reads a CSV file as the system's legacy code page unless it starts with a UTF-8
byte-order mark, so `csv_lines` writes one first: Uyghur and Chinese names then open
right, and every other reader (Python, LibreOffice, pandas) ignores it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

FORMULA_STARTS = frozenset("=+-@")
# Characters that neutralise a cell even before any whitespace is trimmed.
CONTROL_STARTS = frozenset("\t\r")
_RISKY_FIRST = FORMULA_STARTS | CONTROL_STARTS
BOM = "\ufeff"
# Rows are gathered into chunks of about this many characters before they are sent.
CHUNK_CHARS = 16 * 1024


def safe_cell(value: Any) -> str:
    """The text a CSV cell should hold for `value`: None is empty, numbers and dates are
    written plainly, and text that a spreadsheet would run as a formula gets a `'` first."""
    if isinstance(value, str):  # most cells: tested first
        text = value
    elif value is None:
        return ""
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, int | float | Decimal):
        return str(value)
    elif isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    else:
        text = str(value)
    first = text[:1]
    if first in _RISKY_FIRST or (first.isspace() and text.lstrip()[:1] in FORMULA_STARTS):
        return "'" + text
    return text


def safe_cells(row: Iterable[Any]) -> list[str]:
    """`safe_cell` of each value. Text that begins with neither a risky character nor
    white space, most cells, is kept as it is without a call: an export of many cases
    writes a dozen cells a row."""
    return [
        value
        if type(value) is str and (first := value[:1]) not in _RISKY_FIRST and not first.isspace()
        else safe_cell(value)
        for value in row
    ]


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text for `rows`, every cell through `safe_cell` (`safe_cells`), as a stream
    of chunks for a `StreamingHttpResponse`: the byte-order mark first, then rows (CRLF
    line ends, as RFC 4180 has them), gathered so a long export is not sent one row at
    a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    for row in rows:
        writer.writerow(safe_cells(row))
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
