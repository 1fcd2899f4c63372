"""Background work of the signing path (django.tasks; `manage.py db_worker` runs it).

- `send_confirmation`: the link that makes a signature count. Queued in the same
  transaction as the signature (cases.public.signing.signature_create), so it exists
  exactly when the signature does; a worker that dies before sending leaves the row
  for the next one.
- `send_already_signed`: what the owner of an address gets when it signs again (the
  page says nothing), at most once an hour per signature.
- `resend_confirmation`: a new link, asked for on the page; the address is looked up
  here, never in the request.
- `signature_housekeeping`: unconfirmed signatures expire after 7 days; six months after
  a petition closes its signatures are anonymised (counts by country kept). Hourly,
  once started (`manage.py signature_housekeeping --schedule`).

A mail server that is down or refuses for now (any OSError: refused connections,
timeouts, SMTP 4xx) is tried again with backoff: 1, 2, 4 … minutes, then hourly, for
about seven hours; the signer can ask for the link again after that. A recipient the
server refuses, or an address that cannot be encoded, is not tried again. Each attempt
first checks that its mail is still wanted (the signature exists and is unconfirmed),
so a retry never follows a confirmation.

Every mail has one-click unsubscribe (List-Unsubscribe with List-Unsubscribe-Post,
RFC 8058) and a link that erases the signature. It holds the signer's own name, the
petition's title and links: nothing from the cases behind the petition. Tasks return
nothing, so their result rows do not tell whether an address has signed.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.tasks import Task, task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from cases import crypto, ratelimit
from cases.models import Signature
from cases.public import signing
from cases.public.canonical import canonical_email
from cases.text import isolate

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12  # 1+2+4+8+16+32 minutes, then six hourly tries: about seven hours
ALREADY_SIGNED_EVERY = 60 * 60  # seconds: one "already signed" mail per signature
RESENDS_PER_SIGNATURE = 3  # new links an hour, however the requests reach the worker
HOUSEKEEPING_EVERY = 60 * 60  # seconds


def retry_delay(attempt: int) -> dt.timedelta:
    """How long to wait after failed attempt number `attempt` (0 for the first)."""
    return dt.timedelta(minutes=min(2**attempt, 60))


def _again(task_: Task, attempt: int, **kwargs: Any) -> None:
    """Queue the next attempt of a mail task, later, or give up after MAX_ATTEMPTS."""
    if attempt + 1 >= MAX_ATTEMPTS:
        logger.warning("%s gave up after %d attempts", task_.name, MAX_ATTEMPTS)
        return
    later = task_
    if task_.get_backend().supports_defer:  # the database backend; not ImmediateBackend
        later = task_.using(run_after=timezone.now() + retry_delay(attempt))
    later.enqueue(**kwargs, attempt=attempt + 1)


def _deliver(message: EmailMessage, *, signature_id: int, retry: Any) -> None:
    try:
        message.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused):
        logger.warning("mail for signature %d refused by the server", signature_id)
    except OSError:  # connection refused or lost, timeout, a temporary SMTP error
        logger.warning("mail for signature %d not sent, will retry", signature_id)
        retry()
    except ValueError:  # an address no mail header can carry (UnicodeError too)
        logger.warning("mail for signature %d has an undeliverable address", signature_id)


def _title(signature: Signature) -> str:
    texts = dict(signature.petition.texts.values_list("language", "title"))
    return (
        texts.get(signature.language)
        or texts.get(signature.petition.fallback_language)
        or signature.petition.slug
    )


def _url(site: str, name: str, **kwargs: Any) -> str:
    return site.rstrip("/") + reverse(name, kwargs=kwargs)


def _message(signature: Signature, template: str, site: str, **extra: Any) -> EmailMessage:
    """A mail to the signer in the language they signed in."""
    language = signature.language or settings.LANGUAGE_CODE
    with translation.override(language):
        unsubscribe = _url(
            site,
            "public:unsubscribe",
            token=signing.make_token(signature, signing.Link.UNSUBSCRIBE),
        )
        context = {
            "name": isolate(signature.name),
            "title": isolate(_title(signature)),
            "petition_url": _url(site, "public:petition_detail", slug=signature.petition.slug),
            "unsubscribe_url": unsubscribe,
            "erase_url": _url(
                site, "public:erase", token=signing.make_token(signature, signing.Link.ERASE)
            ),
            **extra,
        }
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        body = render_to_string(f"emails/{template}.txt", context)
    return EmailMessage(
        " ".join(subject.split()),
        body,
        to=[signature.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def _signature(signature_id: int) -> Signature | None:
    return Signature.objects.select_related("petition").filter(pk=signature_id).first()


def _awaits_confirmation(signature: Signature | None) -> bool:
    return (
        signature is not None
        and signature.confirmed_at is None
        and signature.email != ""
        and signature.state != Signature.State.INVALIDATED
    )


@task
def send_confirmation(*, signature_id: int, site: str, attempt: int = 0) -> None:
    """Mail the confirmation link, unless the signature is gone or confirmed already."""
    signature = _signature(signature_id)
    if not _awaits_confirmation(signature):
        return
    assert signature is not None
    confirm_url = _url(
        site, "public:confirm", token=signing.make_token(signature, signing.Link.CONFIRM)
    )
    message = _message(
        signature,
        "signature_confirm",
        site,
        confirm_url=confirm_url,
        days=signing.CONFIRM_WITHIN.days,
    )
    _deliver(
        message,
        signature_id=signature_id,
        retry=lambda: _again(send_confirmation, attempt, signature_id=signature_id, site=site),
    )


@task
def send_already_signed(*, signature_id: int, site: str, attempt: int = 0) -> None:
    """Tell the owner of the address that it has signed this petition already, with a
    new confirmation link if it is still unconfirmed. Once an hour at most, so that
    signing with someone else's address cannot fill their inbox."""
    signature = _signature(signature_id)
    if signature is None or signature.email == "":
        return
    if attempt == 0 and not ratelimit.first_in_window(
        ("already-signed-mail", str(signature_id)), window=ALREADY_SIGNED_EVERY
    ):
        return
    extra: dict[str, Any] = {"confirm_url": "", "days": signing.CONFIRM_WITHIN.days}
    if _awaits_confirmation(signature):
        extra["confirm_url"] = _url(
            site, "public:confirm", token=signing.make_token(signature, signing.Link.CONFIRM)
        )
    message = _message(signature, "signature_already_signed", site, **extra)
    _deliver(
        message,
        signature_id=signature_id,
        retry=lambda: _again(send_already_signed, attempt, signature_id=signature_id, site=site),
    )


@task
def resend_confirmation(*, petition_id: int, email_token: str, site: str) -> None:
    """A new link for whoever signed the petition with this address (typed on the
    page), or the "already signed" mail if it is confirmed. Nothing for an address that
    has not signed."""
    email = crypto.decrypt(email_token)
    signature = (
        Signature.objects.filter(petition_id=petition_id, email_canonical=canonical_email(email))
        .exclude(email="")
        .first()
    )
    if signature is None:
        return
    if ratelimit.hit(
        ("resend-mail", str(signature.pk)), limit=RESENDS_PER_SIGNATURE, window=60 * 60
    ):
        return
    if _awaits_confirmation(signature):
        send_confirmation.call(signature_id=signature.pk, site=site)
    else:
        send_already_signed.call(signature_id=signature.pk, site=site)


def _housekeeping_key() -> str:
    return "reunite:public:signature-housekeeping-next"


def schedule_housekeeping() -> bool:
    """Queue the next hourly run, unless one is queued already (the cache's atomic add:
    two chains started by mistake fold into one at their next run)."""
    if not cache.add(_housekeeping_key(), 1, timeout=HOUSEKEEPING_EVERY - 60):
        return False
    later = signature_housekeeping
    if later.get_backend().supports_defer:
        later = later.using(run_after=timezone.now() + dt.timedelta(seconds=HOUSEKEEPING_EVERY))
    later.enqueue(repeat=True)
    return True


@task
def signature_housekeeping(*, repeat: bool = False) -> None:
    """Expire what was never confirmed; anonymise what closed six months ago. Idempotent:
    a second run in a row finds nothing to do."""
    expired = signing.signatures_expire_unconfirmed()
    anonymised = signing.signatures_anonymise()
    logger.info("signatures: %d unconfirmed expired, %d anonymised", expired, anonymised)
    if repeat:
        schedule_housekeeping()
