"""The weekly digest: the dashboard's counts (cases/dashboard.py) by e-mail, once a week,
to every caseworker and supervisor who has not turned it off.

E-mail is not a safe channel for case data: the digest holds case references and counts,
never a name, a place, a condition, a body asked or a summary. It is written from a
context of numbers and references alone (`digest_lines`), so the template cannot reach
anything else.

Sending is idempotent: a `WeeklyDigest` row per staff member and ISO week is written in
the same transaction as the mail is sent. A second run, a retried task or two workers at
once find the row (the unique constraint settles a race: the second insert waits for the
first transaction and fails), and send nothing more. A mail server that is down rolls
the row back with the failed send, and the task tries again later (1, 2, 4 … minutes,
then hourly, about seven hours), within the same week only.

Scheduled like the signature housekeeping (cases/public/tasks.py): django.tasks and the
database backend have no scheduler, so `manage.py weekly_digest --schedule` (bin/serve
runs it when it starts) queues `weekly_digest` for the next Monday morning, and each run
queues the next. A second chain started by mistake folds into the first at its next run
(the cache's atomic add), and would send nothing twice anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from cases.audit import audit_record
from cases.dashboard import Dashboard, Section, caseworker_choices, dashboard
from cases.models import AuditEvent, DigestPreference, WeeklyDigest

logger = logging.getLogger(__name__)

SEND_ON_WEEKDAY = 0  # Monday
SEND_AT = dt.time(6, 0)  # local time (settings.TIME_ZONE)
MAX_ATTEMPTS = 12  # 1+2+4+8+16+32 minutes, then six hourly tries: about seven hours
# Staff mail, with the staff templates: in English or Uyghur only (STAFF_LANGUAGES), unlike
# the signers' mail in templates/emails/, which every public language translates.
TEMPLATE = "staff/emails/weekly_digest"


def iso_week(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def this_week() -> str:
    return iso_week(timezone.localdate())


def recipients() -> models.QuerySet:
    """Active staff who carry cases, have an address and have not turned the digest off,
    each with `digest_language` (blank: the site's)."""
    return (
        caseworker_choices()
        .exclude(email="")
        .exclude(digest_preference__weekly_digest=False)
        .annotate(digest_language=F("digest_preference__language"))
    )


# --- What the mail says --------------------------------------------------------------


@dataclass(frozen=True)
class DigestLine:
    """One line of the digest: a count, and the references of the cases behind it."""

    text: str
    references: list[str]
    more: int  # items counted but not listed


def digest_lines(board: Dashboard) -> list[DigestLine]:
    """The dashboard as counts and references, in the active language; only what is
    not zero."""
    petitions = board.petitions
    signatures = f"{petitions.signatures:,}"
    counted: list[tuple[Section[Any], Callable[[int], str]]] = [
        (
            board.overdue,
            lambda n: ngettext("%(count)d follow-up overdue", "%(count)d follow-ups overdue", n),
        ),
        (
            board.due_soon,
            lambda n: ngettext(
                "%(count)d follow-up due in the next 7 days",
                "%(count)d follow-ups due in the next 7 days",
                n,
            ),
        ),
        (
            board.quiet,
            lambda n: ngettext(
                "%(count)d case with no contact with the family or a government for 90+ days",
                "%(count)d cases with no contact with the family or a government for 90+ days",
                n,
            ),
        ),
        (
            board.stale,
            lambda n: ngettext(
                "%(count)d separated person whose status has not changed for a year",
                "%(count)d separated people whose status has not changed for a year",
                n,
            ),
        ),
        (
            board.changes,
            lambda n: ngettext(
                "%(count)d change by others in the last 7 days",
                "%(count)d changes by others in the last 7 days",
                n,
            ),
        ),
        (
            petitions,
            lambda n: ngettext(
                "%(count)d open petition, %(signatures)s signatures in all",
                "%(count)d open petitions, %(signatures)s signatures in all",
                n,
            ),
        ),
    ]
    return [
        DigestLine(
            text=phrase(section.total) % {"count": section.total, "signatures": signatures},
            references=section.references,
            more=section.more,
        )
        for section, phrase in counted
        if section.total
    ]


def _site() -> str:
    """The staff site's origin: the one passkeys are bound to (REUNITE_WEBAUTHN_ORIGINS)."""
    return settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0].rstrip("/")


def _language(user: AbstractBaseUser) -> str:
    language = getattr(user, "digest_language", "") or ""
    return language if language in settings.STAFF_LANGUAGES else settings.LANGUAGE_CODE


def digest_message(*, user: AbstractBaseUser, week: str) -> EmailMessage | None:
    """The digest mail for `user` this week, in their language; None if nothing is due."""
    with translation.override(_language(user)):
        board = dashboard(user=user)
        lines = digest_lines(board)
        if not lines:
            return None
        site = _site()
        context = {
            "week": week,
            "lines": lines,
            "dashboard_url": site + reverse("admin:index"),
            "preference_url": site + reverse("staff:weekly_digest"),
        }
        subject = render_to_string(f"{TEMPLATE}_subject.txt", context)
        body = render_to_string(f"{TEMPLATE}.txt", context)
    return EmailMessage(
        " ".join(subject.split()),
        body,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


# --- Sending, once a week ------------------------------------------------------------


def digest_send(*, user: AbstractBaseUser, week: str) -> bool:
    """Send `user`'s digest for `week` unless it was sent already (or is being sent by
    another worker) or there is nothing to say. True if this call sent it.

    The row and the mail go together: if sending raises, the row is rolled back and a
    later attempt sends it."""
    message = digest_message(user=user, week=week)
    if message is None:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                WeeklyDigest.objects.create(user=user, week=week)
        except IntegrityError:
            return False
        message.send()
    return True


def retry_delay(attempt: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2**attempt, 60))


def _again(*, user_id: int, week: str, attempt: int) -> None:
    if attempt + 1 >= MAX_ATTEMPTS:
        logger.warning("weekly digest for user %d gave up after %d attempts", user_id, attempt + 1)
        return
    later = send_weekly_digest
    if later.get_backend().supports_defer:  # the database backend; not ImmediateBackend
        later = later.using(run_after=timezone.now() + retry_delay(attempt))
    later.enqueue(user_id=user_id, week=week, attempt=attempt + 1)


@task
def send_weekly_digest(*, user_id: int, week: str, attempt: int = 0) -> None:
    """One staff member's digest for `week`: sent once, only during that week, only if
    they still want it. Returns nothing, so its result row says nothing of the cases."""
    if week != this_week():
        return
    user = recipients().filter(pk=user_id).first()
    if user is None:
        return
    try:
        digest_send(user=user, week=week)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused):
        logger.warning("weekly digest for user %d refused by the server", user_id)
    except OSError:  # connection refused or lost, timeout, a temporary SMTP error
        logger.warning("weekly digest for user %d not sent, will retry", user_id)
        _again(user_id=user_id, week=week, attempt=attempt)
    except ValueError:  # an address no mail header can carry
        logger.warning("weekly digest for user %d has an undeliverable address", user_id)


@task
def weekly_digest(*, repeat: bool = False) -> None:
    """Queue this week's digest for every recipient; with `repeat`, queue next week's run."""
    week = this_week()
    user_ids = list(recipients().values_list("pk", flat=True))
    for user_id in user_ids:
        send_weekly_digest.enqueue(user_id=user_id, week=week)
    logger.info("weekly digest %s: %d staff member(s)", week, len(user_ids))
    if repeat:
        schedule_weekly_digest()


def next_run(now: dt.datetime) -> dt.datetime:
    """The next Monday at SEND_AT, local time, after `now`."""
    local = timezone.localtime(now)
    days = (SEND_ON_WEEKDAY - local.weekday()) % 7
    candidate = dt.datetime.combine(local.date() + dt.timedelta(days=days), SEND_AT)
    candidate = timezone.make_aware(candidate, local.tzinfo)
    if candidate <= local:
        candidate += dt.timedelta(days=7)
    return candidate


def _schedule_key() -> str:
    return "reunite:weekly-digest-next"


def schedule_weekly_digest() -> bool:
    """Queue the next weekly run, unless one is queued already (the cache's atomic add:
    two chains started by mistake fold into one at their next run)."""
    now = timezone.now()
    run_at = next_run(now)
    wait = int((run_at - now).total_seconds())
    if not cache.add(_schedule_key(), 1, timeout=max(wait - 60, 1)):
        return False
    later = weekly_digest
    if later.get_backend().supports_defer:
        later = later.using(run_after=run_at)
    later.enqueue(repeat=True)
    return True


# --- The staff member's choice -------------------------------------------------------


@transaction.atomic
def digest_preference_set(
    *, user: AbstractBaseUser, weekly_digest: bool, language: str = ""
) -> DigestPreference:
    """Turn the weekly digest on or off for `user`, in `language` (one of the staff
    languages, else the site's); on the audit trail by field name."""
    if language not in settings.STAFF_LANGUAGES:
        language = ""
    preference, created = DigestPreference.objects.select_for_update().get_or_create(user=user)
    changed = [
        name
        for name, value in (("weekly_digest", weekly_digest), ("language", language))
        if getattr(preference, name) != value
    ]
    if changed or created:
        preference.weekly_digest = weekly_digest
        preference.language = language
        preference.save()
        audit_record(action=AuditEvent.Action.CHANGE, actor=user, obj=preference, fields=changed)
    return preference
