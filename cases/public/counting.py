"""Counting signatures in batches, as the UK petitions site learnt to in 2019: no
request updates a shared counter. A confirmation only schedules a count; the worker
counts each petition at most once every COUNT_EVERY seconds, under the petition's row
lock, records the goals reached with their time, and forgets the cached pages.

The displayed count is therefore exact after at most COUNT_EVERY seconds plus the
worker's polling interval (one second by default).
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from cases.models import Petition, PetitionEvent, Signature, goals_reached

COUNT_EVERY = 2  # seconds between two counts of one petition


def _due_key(petition_id: int) -> str:
    return f"reunite:petition:{petition_id}:count-due"


def schedule_count(petition_id: int) -> None:
    """Ask for a count of the petition soon; many asks within COUNT_EVERY seconds make
    one count (the first ask wins the cache's atomic add)."""
    if cache.add(_due_key(petition_id), 1, timeout=COUNT_EVERY):
        counter = count_signatures
        if counter.get_backend().supports_defer:  # the database backend; not ImmediateBackend
            counter = counter.using(run_after=timezone.now() + dt.timedelta(seconds=COUNT_EVERY))
        counter.enqueue(petition_id=petition_id)


def schedule_count_on_commit(petition_id: int) -> None:
    transaction.on_commit(lambda: schedule_count(petition_id))


def page_version_key(petition_id: int) -> str:
    return f"reunite:petition:{petition_id}:page-version"


def new_page_version() -> int:
    """A first page version, for a petition the cache knows none of (new, or evicted):
    the clock in microseconds, above any version an earlier start counted up to, so that
    pages kept under an older version (cases.public.views, cases.public.middleware)
    never match again."""
    return time.time_ns() // 1000


def forget_pages(petition_id: int) -> None:
    """The cached public pages of this petition (every language) are out of date."""
    try:
        cache.incr(page_version_key(petition_id))
    except ValueError:
        cache.set(page_version_key(petition_id), new_page_version(), timeout=None)


def forget_pages_on_commit(petition: Petition) -> None:
    transaction.on_commit(lambda: forget_pages(petition.pk))


@task
def count_signatures(*, petition_id: int) -> int:
    """Count the petition's confirmed signatures; record newly reached goals once.
    Idempotent: running it twice, or late, gives the same count and the same goals."""
    with transaction.atomic():
        try:
            petition = Petition.objects.select_for_update().get(pk=petition_id)
        except Petition.DoesNotExist:
            return 0
        count = Signature.objects.filter(petition=petition, state=Signature.State.CONFIRMED).count()
        now = timezone.now()
        Petition.objects.filter(pk=petition.pk).update(signature_count=count, count_updated_at=now)
        known = set(
            petition.events.filter(kind=PetitionEvent.Kind.GOAL).values_list("goal", flat=True)
        )
        for goal in goals_reached(count, petition.goal):
            if goal not in known:
                try:
                    with transaction.atomic():
                        PetitionEvent.objects.create(
                            petition=petition, kind=PetitionEvent.Kind.GOAL, goal=goal, at=now
                        )
                except IntegrityError:  # recorded by a count running beside this one
                    pass
        changed = count != petition.signature_count
    if changed:
        forget_pages(petition_id)
    return count
