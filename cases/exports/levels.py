"""Who may export what: the redaction levels, and the one check every export passes.

- `internal`: everything the case file holds but contact details and evidence files
  (never exported at all), for staff who may see private fields (caseworkers and
  supervisors) on the cases they may open.
- `advocacy`: what an advocate may hand to a government, a parliament or a UN body:
  names only with each person's consent, otherwise a stable pseudonym; no internal
  notes or summaries, no place inside China finer than the prefecture, no entries not
  marked publishable (`cases.exports.summary`).
- `public`: statistics only, counts under 5 suppressed (`cases.exports.statistics`).

The page, the admin action and the `export_cases` command all call `check_export()`;
a refusal is logged before it is raised.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.audit import audit_record
from cases.models import AuditEvent

User = AbstractBaseUser | AnonymousUser

EXPORT = "cases.export_cases"
PRIVATE = "cases.view_private_fields"
UNLIMITED = "cases.view_all_cases"  # supervisors: no cap on the selection


class Level(StrEnum):
    INTERNAL = "internal"
    ADVOCACY = "advocacy"
    PUBLIC = "public"

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    Level.INTERNAL: _("Internal: full detail of the cases you may open"),
    Level.ADVOCACY: _("Advocacy: names only with consent, no internal detail"),
    Level.PUBLIC: _("Public statistics: counts only, small counts suppressed"),
}


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    PDF = "pdf"


def allowed_levels(user: User) -> list[Level]:
    """The levels this user may export at, most detailed first; [] without export rights."""
    if not user.is_active or not user.has_perm(EXPORT):
        return []
    levels = [Level.ADVOCACY, Level.PUBLIC]
    if user.has_perm(PRIVATE):
        levels.insert(0, Level.INTERNAL)
    return levels


def max_cases(user: User) -> int | None:
    """The most cases one export may hold for this user; None: no limit."""
    if user.has_perm(UNLIMITED):
        return None
    return settings.EXPORT_MAX_CASES


class ExportRefused(PermissionDenied):
    """An export beyond the reader's role: a 403 on the web, an error on the command line."""


def check_export(
    *,
    user: User,
    level: Level | str,
    request: HttpRequest | None = None,
    cases: int | None = None,
) -> Level:
    """The level, if `user` may export `cases` cases at it; else the refusal is logged
    and `ExportRefused` raised with a message that says why."""
    try:
        level = Level(level)
    except ValueError:
        level = None
    if level is None or level not in allowed_levels(user):
        reason = _("Your role may not export at this level.")
    elif cases is not None and (limit := max_cases(user)) is not None and cases > limit:
        reason = _(
            "This selection holds %(count)d cases; your role may export at most %(limit)d "
            "at once. Narrow the filters."
        ) % {"count": cases, "limit": limit}
    else:
        return level
    audit_record(
        action=AuditEvent.Action.ACCESS_REFUSED,
        request=request,
        actor=user if isinstance(user, AbstractBaseUser) else None,
        detail=f"export level={level or 'invalid'} cases={cases}",
    )
    raise ExportRefused(reason)
