"""The staff exports: files that leave the system, each built from generators of rows.

Every export answers only to a permission check, streams its rows instead of loading
them (`.iterator()`), and is recorded in the audit trail by the view that serves it,
with a count and never the exported values. Shared by all of them:

- `cells`: spreadsheet-safe CSV cells and a streaming CSV writer (UTF-8 with a BOM).
- `pdf`: HTML templates to PDF with WeasyPrint, in the system's Noto fonts, loading
  nothing from another host.

`signatures` is the petition delivery pack (issue 8). Case exports (issue 9) will sit
next to it and reuse the two shared modules.
"""
