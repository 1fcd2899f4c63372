"""Two staff editing one record at once.

Every change form carries the version of the record it guards (a case for the case's
own records, a person for a person), and the moment it was drawn. A save checks that
version with the row locked; if someone saved in between, the form comes back with the
editor's input kept and a list of what the others changed since (from the audit trail),
instead of silently undoing their work. Each save raises the version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cases.models import AuditEvent, Family, Person

Guarded = Family | Person
_SHOWN_CHANGES = 10


def guarded_record(obj: object) -> Guarded | None:
    """The record whose version stands for `obj`: a person for themself, a case for
    itself and every record on it (separations, contacts, entries, members)."""
    if isinstance(obj, (Family, Person)):
        return obj
    family = getattr(obj, "family", None)
    return family if isinstance(family, Family) else None


def edit_token(record: Guarded, *, version: int | None = None) -> str:
    """What a form remembers: the version it shows, and when it was drawn."""
    return f"{record.version if version is None else version}:{timezone.now().timestamp():.6f}"


def _parse(token: str) -> tuple[int, dt.datetime] | None:
    version, _sep, drawn_at = token.partition(":")
    try:
        return int(version), dt.datetime.fromtimestamp(float(drawn_at), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class Conflict:
    """Someone saved the record after the form was drawn."""

    changes: list[AuditEvent]
    token: str  # for the form shown again: saving it then keeps this editor's input

    @property
    def message(self) -> str:
        lines = [
            _("%(who)s at %(when)s: %(action)s %(record)s%(fields)s")
            % {
                "who": event.actor.get_username() if event.actor else _("someone"),
                "when": date_format(timezone.localtime(event.at), "DATETIME_FORMAT"),
                "action": event.get_action_display().lower(),
                "record": _record_name(event.object_type),
                "fields": f" ({', '.join(event.fields)})" if event.fields else "",
            }
            for event in self.changes[:_SHOWN_CHANGES]
        ]
        summary = "; ".join(lines) if lines else _("the record changed")
        return _(
            "Someone else saved this record after you opened it: %(changes)s. Nothing of "
            "yours was saved. Your input is kept below: compare it with the saved record "
            "(open it in another tab), then save again to apply it."
        ) % {"changes": summary}


def _record_name(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def _changes_since(record: Guarded, since: dt.datetime | None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(
        action__in=[AuditEvent.Action.CREATE, AuditEvent.Action.CHANGE, AuditEvent.Action.DELETE]
    ).select_related("actor")
    if isinstance(record, Family):
        events = events.filter(case_reference=record.reference)
    else:
        events = events.filter(object_type=record._meta.label_lower, object_id=str(record.pk))
    if since is not None:
        events = events.filter(at__gte=since)
    return list(events.order_by("at", "pk")[:_SHOWN_CHANGES])


def edit_conflict(record: Guarded, token: str) -> Conflict | None:
    """Lock the record's row until the end of the transaction, and compare its version
    with the one the form was drawn with. A missing or garbled token is a conflict."""
    current = (
        type(record).objects.select_for_update().values_list("version", flat=True).get(pk=record.pk)
    )
    seen = _parse(token)
    if seen is not None and seen[0] == current:
        return None
    changes = _changes_since(record, seen[1] if seen else None)
    return Conflict(changes=changes, token=edit_token(record, version=current))


def record_saved(record: Guarded) -> None:
    """Raise the version, in the database and on the instance, in the save's transaction."""
    type(record).objects.filter(pk=record.pk).update(version=F("version") + 1)
    record.version = type(record).objects.values_list("version", flat=True).get(pk=record.pk)
