"""One case's timeline: status changes, government contacts and dated entries, merged.

Items sort by the date the thing happened, at the precision it is known: a date known
only to the year sorts before every day of that year, a month before its days. Items on
the same date keep the order in which they were recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    Family,
    GovernmentContact,
    StatusChange,
    TimelineEntry,
    status_transition,
)
from cases.partial_dates import PartialDate
from cases.text import isolate


class ItemKind(StrEnum):
    STATUS = "status"
    CONTACT = "contact"
    ENTRY = "entry"


@dataclass(frozen=True)
class TimelineItem:
    date: PartialDate
    kind: ItemKind
    title: str
    recorded_at: dt.datetime
    detail: str = ""
    who: str = ""  # who changed the status, or the official a contact was with
    outcome: str = ""
    source: str = ""
    source_url: str = ""
    reliability: str = ""
    publishable: bool = False

    @property
    def sort_key(self) -> tuple[tuple[int, int, int], dt.datetime]:
        return (self.date.sort_key, self.recorded_at)


def _status_item(change: StatusChange, *, public: bool, private: bool) -> TimelineItem:
    if change.separation_id:
        subject = _("Separation") if public else isolate(change.separation.person.name_latin)
    else:
        subject = _("Case")
    if change.from_status:
        title = f"{subject}: {status_transition(change.from_label, change.to_label)}"
    else:
        title = f"{subject}: {change.to_label}"
    return TimelineItem(
        date=PartialDate.from_date(timezone.localdate(change.changed_at)),
        kind=ItemKind.STATUS,
        title=title,
        recorded_at=change.changed_at,
        detail=change.note if private and not public else "",
        who="" if public or change.actor is None else change.actor.get_username(),
        publishable=True,
    )


def _contact_item(contact: GovernmentContact) -> TimelineItem:
    return TimelineItem(
        date=PartialDate.from_date(contact.contacted_on),
        kind=ItemKind.CONTACT,
        title=f"{contact.get_direction_display()}: {contact.body}",
        recorded_at=contact.created_at,
        detail=contact.summary,
        who=contact.official,
        outcome=contact.get_outcome_display(),
    )


def _web_link(url: str) -> str:
    """The URL if it is a web address; anything else (javascript:, data:) is not a link."""
    return url if urlsplit(url).scheme.lower() in {"http", "https"} else ""


def _entry_item(entry: TimelineEntry) -> TimelineItem:
    return TimelineItem(
        date=entry.occurred_on,
        kind=ItemKind.ENTRY,
        title=entry.title,
        recorded_at=entry.created_at,
        detail=entry.description,
        source=entry.source,
        source_url=_web_link(entry.source_url),
        reliability=entry.get_reliability_display(),
        publishable=entry.publishable,
    )


def case_timeline(
    family: Family, *, public: bool = False, private: bool = True
) -> list[TimelineItem]:
    """The family's timeline, oldest first.

    `private=False` drops what `cases.access.PRIVATE_FIELDS` keeps to some roles (the
    notes on status changes), for staff who may read the case but not its private fields.

    `public=True` keeps only what may be shown outside the organisation: statuses
    without notes, names or who changed them, and entries marked publishable. It is a
    floor, not the whole rule: the caller still applies the case's consent.
    """
    changes = family.status_changes.select_related("actor", "separation__person")
    items = [_status_item(change, public=public, private=private) for change in changes]
    entries = family.entries.all()
    if public:
        entries = entries.filter(publishable=True)
    else:
        items += [_contact_item(contact) for contact in family.government_contacts.all()]
    items += [_entry_item(entry) for entry in entries]
    return sorted(items, key=lambda item: item.sort_key)
