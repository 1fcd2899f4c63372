"""The PDF dossiers: a printable dossier per case (one combined PDF for a selection),
and the submissions shaped for UN bodies (`cases.exports.un`).

`dossier_pdf` is the only entry point (`cases.exports.formats` calls it for the PDF
format). It reads `case_summary` documents, already redacted at their level, and
nothing else: no template here touches a model, so a PDF shows exactly what its level
allows, as every other format does.

- `cases`: for a selection, a cover listing the cases, then each case from a new page:
  its people, separations, government contacts and the timeline with its sources. A
  single case is its dossier alone.
- `wgeid` / `wgad`: a cover listing, per separated person, what is "missing before
  submission" and whether the Working Group's urgent procedure may apply, then one form
  per person, each from a new page.

The level is printed in every page's footer, with the page number; the document is in
the staff member's language (the active one).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from cases.exports import un
from cases.exports.levels import Level, User
from cases.exports.pdf import render_pdf

CASES = "cases"
TEMPLATES = {
    CASES: "exports/dossier.html",
    un.WGEID: "exports/un_submission.html",
    un.WGAD: "exports/un_submission.html",
}
FOOTERS = {
    Level.INTERNAL: _("Internal — confidential"),
    Level.ADVOCACY: _("Advocacy summary — names only with consent"),
}


def submitter(user: User) -> un.Submitter:
    """The organisation and the staff member who submit, as the forms name them."""
    name = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return un.Submitter(organisation=settings.REUNITE_ORGANISATION.strip(), name=name)


def _language() -> tuple[str, bool]:
    language = translation.get_language() or settings.LANGUAGE_CODE
    try:
        bidi = bool(get_language_info(language)["bidi"])
    except KeyError:
        bidi = False
    return language, bidi


def dossier_pdf(
    summaries: Iterable[dict[str, Any]], *, layout: str, level: Level, user: User
) -> bytes:
    """The PDF of these case summaries in `layout` ("cases", "wgeid" or "wgad"), at
    `level` (the level the summaries were made at: internal or advocacy)."""
    if layout not in TEMPLATES:
        raise ValueError(f"no PDF dossier in layout {layout!r}")
    level = Level(level)
    if level not in FOOTERS:
        raise ValueError(f"no PDF dossier at level {level!r}")
    summaries = list(summaries)
    today = timezone.localdate()
    by = submitter(user)
    language, bidi = _language()
    context: dict[str, Any] = {
        "language": language,
        "bidi": bidi,
        "level": str(level),
        "footer": FOOTERS[level],
        "prepared_on": today,
        "organisation": by.organisation,
        "prepared_by": by.name or user.get_username(),
        "cases": summaries,
    }
    if layout != CASES:
        context |= {
            "body": un.BODIES[layout],
            "forms": [
                form
                for summary in summaries
                for form in un.un_forms(summary, body=layout, submitter=by, today=today)
            ],
        }
    return render_pdf(TEMPLATES[layout], context)
