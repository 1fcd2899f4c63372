"""Import from spreadsheets: families, people and separations from a CSV or XLSX file
that a support group kept, one row per separated person.

1. `sheets.read_sheet()`: the file's first sheet as text cells, or a `SheetError`
   saying why not (size, format, encoding, too many rows, an XLSX that would unzip
   too far). Nothing is evaluated: a formula cell is read as the value Excel last
   showed, a CSV cell starting with = + - @ is only text.
2. `columns`: which column holds what, guessed from the headings in English and
   Uyghur; the caseworker may change it on the preview.
3. `rows.check_sheet()`: the dry run. Every row becomes unsaved model instances checked
   by the models' own rules (`full_clean()`, the name fields' normalisation and
   validators, partial dates, countries by name or code, choices by their English or
   Uyghur label) and is looked up in the duplicate finder (`cases.matching`), among
   the people on record and the file's rows above it. It writes nothing.
4. `service.import_rows()`: the rows of a checked sheet, written in one transaction
   through the case services (`families_create`, `members_add`: every record
   validated by its model's rules, each model written in one INSERT a batch, so the
   queries do not grow with the file), each row with its source ("Imported from FILE,
   row N"), and the import as one row of the audit trail.

The admin pages are cases/admin/imports.py; the stored upload is
`cases.models.SpreadsheetUpload`.
"""
