"""Signing a petition: the services behind the public form and the links in its mails.

The hot path is `signature_create()`: one transaction with two INSERTs, the signature
and the row of its confirmation-mail task (the django-tasks-db backend keeps tasks in
the same database, so the task commits with the signature or not at all: never lost if
the process dies after the insert, never sent for a signature that was rolled back).
No COUNT, no counter UPDATE: a signature counts once its signer confirms it
(`signature_confirm()`), and then only through the batch count
(`counting.schedule_count_on_commit`).

Nothing the path answers tells whether an address has signed. A second signature with
the same canonical address (cases.public.canonical) fails the unique constraint, rolls
back, and queues the "you have already signed" mail instead; the page is the same.

Also here, because the sign view calls them before it touches the database:

- the client's keyed address hash (`ip_hash`): the signature keeps only that;
- the rate limits per address, per /24 (IPv6: /64) and per petition (`client_limits`,
  `petition_limits`), counted in the shared cache by cases.ratelimit, each group in one
  round trip (`client_limits_and_target` reads the cached petition with the first);
- the proof-of-work challenges (ALTCHA v2) asked of a suspect client or of everyone
  signing a petition under attack;
- the signed tokens of the links in the mails (confirm, unsubscribe, erase).
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing as django_signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Max, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from cases import crypto, proof_of_work, ratelimit
from cases.audit import audit_record
from cases.models import AuditEvent, Petition, PetitionEvent, Signature
from cases.public import counting, tasks
from cases.public.canonical import canonical_email

_SALT = "reunite.public.signing"

# --- The petition as the sign view needs it -----------------------------------------------

TARGET_TTL = 5  # seconds a process may sign against a cached petition lookup


@dataclass(frozen=True)
class SigningTarget:
    """What signing needs of a public petition: one cached lookup, no model instance.

    `accepts_signatures` is the model's, taken when the entry was cached; entries live
    TARGET_TTL seconds and die at once when the petition changes (its page version)."""

    pk: int
    slug: str
    status: str
    accepts_signatures: bool
    not_open_yet: bool
    proof_of_work: bool
    fallback_language: str
    titles: dict[str, str] = field(default_factory=dict)
    version: int | None = None

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get(self.fallback_language, self.slug)


def _target_key(slug: str) -> str:
    return f"reunite:public:sign-target:{slug}"


# slug -> petition id, per process: the cached lookup and the page version it must
# match are then read in one round trip. A slug's id does not change, and a cached
# lookup of another id is checked against its own version.
_target_ids: dict[str, int] = {}


def _target_reads(slug: str) -> list[str]:
    """The cache keys that say whether the cached lookup of `slug` is current."""
    reads = [_target_key(slug)]
    if slug in _target_ids:
        reads.append(counting.page_version_key(_target_ids[slug]))
    return reads


def _cached_target(slug: str, read: Sequence[str], found: dict[str, Any]) -> SigningTarget | None:
    cached = found.get(_target_key(slug))
    if not isinstance(cached, SigningTarget):
        return None
    version_key = counting.page_version_key(cached.pk)
    version = found.get(version_key) if version_key in read else cache.get(version_key)
    return cached if version == cached.version else None


def signing_target(
    slug: str, *, prefetched: tuple[Sequence[str], dict[str, Any]] | None = None
) -> SigningTarget | None:
    """The public petition at `slug` (never a draft), or None. Cached in the shared
    cache for TARGET_TTL seconds, and forgotten when the petition's pages are.
    `prefetched`: the keys of `_target_reads(slug)` and what the cache held of them,
    read by the caller in a round trip of its own."""
    if prefetched is None:
        read = _target_reads(slug)
        prefetched = (read, cache.get_many(read))
    cached = _cached_target(slug, *prefetched)
    if cached is not None:
        return cached
    petition = (
        Petition.objects.public()
        .filter(slug=slug)
        .only("pk", "slug", "status", "opens_on", "closes_on", "proof_of_work", "fallback_language")
        .first()
    )
    if petition is None:
        return None
    _target_ids[slug] = petition.pk
    version = cache.get(counting.page_version_key(petition.pk))
    target = SigningTarget(
        pk=petition.pk,
        slug=petition.slug,
        status=petition.status,
        accepts_signatures=petition.accepts_signatures,
        not_open_yet=(
            petition.status == Petition.Status.PUBLISHED
            and petition.opens_on is not None
            and timezone.localdate() < petition.opens_on
        ),
        proof_of_work=petition.proof_of_work,
        fallback_language=petition.fallback_language,
        titles=dict(petition.texts.values_list("language", "title")),
        version=version,
    )
    cache.set(_target_key(slug), target, TARGET_TTL)
    return target


# --- The client: a keyed address hash, its network, its rate limits -----------------------


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def ip_hash(value: str) -> str:
    """The signature's only trace of the client's address: an HMAC-SHA256 keyed with
    SECRET_KEY. The same address gives the same hash (moderators group signatures by
    it), and nobody without the key can test guesses against it: a plain salted hash of
    an IPv4 address falls to trying all 2^32 of them. Microseconds, not a bcrypt's
    quarter second."""
    address = _address(value)
    if address is None:
        return ""
    return salted_hmac(f"{_SALT}.ip", str(address), algorithm="sha256").hexdigest()


def network(value: str) -> str:
    """The client's /24 (IPv4) or /64 (IPv6): one household, office or provider's
    allocation, where one attacker's many addresses usually sit."""
    address = _address(value)
    if address is None:
        return "unknown"
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass(frozen=True)
class Limit:
    """Hits of one key in one fixed window: above `soft` the client must show proof of
    work, above `hard` it is refused until the window ends."""

    scope: str
    window: int  # seconds
    soft: int
    hard: int | None = None


# Per client. An address is a person, a household or an office; a mobile provider's
# shared address can be many people, so the hard limits sit well above what one person
# does and the soft ones only ask for a few seconds of a browser's work.
CLIENT_LIMITS = (
    Limit("ip", 60, soft=5, hard=30),
    Limit("ip", 60 * 60, soft=20, hard=200),
    Limit("net", 60, soft=20, hard=120),
    Limit("net", 60 * 60, soft=100, hard=1_000),
)


def petition_limits() -> tuple[Limit, ...]:
    """Per petition, from REUNITE_SIGNING_SURGE (signatures a second). Above it, averaged
    over 10 seconds, or above half of it over an hour, every signer of the petition is
    asked for proof of work for SURGE_PROOF_OF_WORK_FOR seconds. Never a refusal: a
    genuine surge keeps signing, each signer's browser working a second or two."""
    rate = settings.REUNITE_SIGNING_SURGE
    return (
        Limit("petition", 10, soft=rate * 10),
        Limit("petition", 60 * 60, soft=rate * 60 * 60 // 2),
    )


SURGE_PROOF_OF_WORK_FOR = 10 * 60  # seconds


@dataclass(frozen=True)
class ClientCheck:
    refused: bool  # over a hard limit: answer 429, do nothing
    suspect: bool  # over a soft limit: ask for proof of work
    retry_after: int = 0


def _client_hits(address: str) -> list[tuple[ratelimit.Key, int]]:
    keys = {"ip": str(_address(address) or "unknown"), "net": network(address)}
    return [(("sign", limit.scope, keys[limit.scope]), limit.window) for limit in CLIENT_LIMITS]


def _client_check(counts: Sequence[int]) -> ClientCheck:
    refused = suspect = False
    retry_after = 0
    for limit, hits in zip(CLIENT_LIMITS, counts, strict=True):
        suspect |= hits > limit.soft
        if limit.hard is not None and hits > limit.hard:
            refused = True
            retry_after = max(retry_after, limit.window - int(ratelimit.now()) % limit.window)
    return ClientCheck(refused=refused, suspect=suspect, retry_after=retry_after)


def client_limits(address: str) -> ClientCheck:
    """Count one signing attempt from `address` against every client limit."""
    counts, _ = ratelimit.hit_counts(_client_hits(address))
    return _client_check(counts)


def client_limits_and_target(address: str, slug: str) -> tuple[ClientCheck, SigningTarget | None]:
    """The first round trip of a signature: `client_limits(address)`, and with it the
    cached lookup of the petition at `slug`. A refused client gets no target; a slug
    with no public petition, None."""
    read = _target_reads(slug)
    counts, found = ratelimit.hit_counts(_client_hits(address), read=read)
    client = _client_check(counts)
    if client.refused:
        return client, None
    return client, signing_target(slug, prefetched=(read, found))


def _surge_key(petition_id: int) -> str:
    return ratelimit.cache_key(("sign-surge", str(petition_id)))


def petition_limits_hit(target: SigningTarget) -> bool:
    """Count one signing attempt on the petition; True while every signer of it must
    bring proof of work (the staff switch, or a surge within the last minutes)."""
    limits = petition_limits()
    surge_key = _surge_key(target.pk)
    counts, found = ratelimit.hit_counts(
        [(("sign", limit.scope, str(target.pk)), limit.window) for limit in limits],
        read=[surge_key],
    )
    if any(hits > limit.soft for limit, hits in zip(limits, counts, strict=True)):
        cache.set(surge_key, True, timeout=SURGE_PROOF_OF_WORK_FOR)
        if ratelimit.first_in_window(
            ("sign-surge-recorded", str(target.pk)), window=SURGE_PROOF_OF_WORK_FOR
        ):
            audit_record(
                action=AuditEvent.Action.CHANGE,
                obj=Petition.objects.only("pk").get(pk=target.pk),
                detail=(
                    "signing surge: proof of work asked of every signer for "
                    f"{SURGE_PROOF_OF_WORK_FOR // 60} minutes"
                ),
            )
        return True
    return target.proof_of_work or bool(found.get(surge_key))


# --- Proof of work (ALTCHA v2; the browser side is static/js/proof-of-work.js) ------------

POW_FIELD = "proof_of_work"
POW_COST = 10_000  # PBKDF2 iterations a try: about 3 ms on a laptop, 10 ms on a phone
POW_MAX_COUNTER = 400  # 200 to 400 tries: about a second on a laptop, a few on a phone
POW_TTL = 15 * 60  # seconds to finish filling in the form
POW_MAX_PAYLOAD = 4_000  # characters; a real solution has about 900


_POW_SALT = f"{_SALT}.proof-of-work"


def new_challenge(target: SigningTarget) -> dict[str, Any]:
    """A signed challenge good for one signature of this petition, as JSON."""
    return proof_of_work.new_challenge(
        salt=_POW_SALT,
        bound_to={"petition": str(target.pk)},
        cost=POW_COST,
        max_counter=POW_MAX_COUNTER,
        ttl=POW_TTL,
    )


def solution_accepted(payload: object, target: SigningTarget) -> bool:
    """True for a correct solution of an unexpired challenge made for this petition, the
    first time it is shown; False for anything else, however malformed."""
    return proof_of_work.solution_accepted(
        payload,
        salt=_POW_SALT,
        bound_to={"petition": str(target.pk)},
        max_payload=POW_MAX_PAYLOAD,
    )


# --- Tokens of the links in the mails ------------------------------------------------------

CONFIRM_WITHIN = dt.timedelta(days=7)  # and then the unconfirmed signature is deleted


class Link(enum.StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    ERASE = "erase"


class LinkProblem(Exception):
    """A link that does not lead to a signature: forged or garbled (`invalid`), too old
    (`expired`), or its signature gone (`gone`: expired, erased or anonymised). A link
    we made names its petition (`petition_slug`), for the page to offer what next."""

    def __init__(self, kind: str, petition_slug: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.petition_slug = petition_slug


def _binding(signature: Signature) -> str:
    """Ties a token to the address the signature has now: anonymised or erased, its
    links stop working."""
    return salted_hmac(f"{_SALT}.link", signature.email_canonical, algorithm="sha256").hexdigest()[
        :16
    ]


def make_token(signature: Signature, link: Link) -> str:
    return django_signing.dumps(
        [signature.pk, signature.petition_id, _binding(signature)], salt=f"{_SALT}.{link}"
    )


def _public_slug(petition_id: object) -> str:
    if not isinstance(petition_id, int):
        return ""
    slug = Petition.objects.public().filter(pk=petition_id).values_list("slug", flat=True)
    return slug.first() or ""


def signature_for_token(token: str, link: Link) -> Signature:
    """The signature a link names, or LinkProblem. Confirmation links last as long as
    an unconfirmed signature does; unsubscribe and erase links as long as it exists."""
    salt = f"{_SALT}.{link}"
    if len(token) > 200:
        raise LinkProblem("invalid")
    try:
        pk, petition_id, binding = django_signing.loads(
            token, salt=salt, max_age=CONFIRM_WITHIN if link == Link.CONFIRM else None
        )
        pk = int(pk)
    except django_signing.SignatureExpired:
        # Genuine but old: what it names can still be read, to offer a way on.
        petition_id = django_signing.loads(token, salt=salt)[1]
        raise LinkProblem("expired", _public_slug(petition_id)) from None
    except (django_signing.BadSignature, ValueError, TypeError):
        raise LinkProblem("invalid") from None
    signature = Signature.objects.select_related("petition").filter(pk=pk).first()
    if (
        signature is None
        or signature.petition.status == Petition.Status.DRAFT
        or not constant_time_compare(_binding(signature), str(binding))
    ):
        raise LinkProblem("gone", _public_slug(petition_id))
    return signature


# --- Services ------------------------------------------------------------------------------


class Signed(enum.StrEnum):
    """What `signature_create` did. The view answers the same for both."""

    NEW = "new"
    ALREADY = "already"


# A second post of the same form within this time is a double click or a retry: the
# confirmation is on its way, so no "already signed" mail follows it.
REPEAT_QUIET_FOR = dt.timedelta(minutes=2)


def signature_create(
    *,
    target: SigningTarget,
    name: str,
    email: str,
    country: str,
    postcode: str = "",
    comment: str = "",
    show_publicly: bool = False,
    send_updates: bool = False,
    language: str,
    address: str,
    suspect: bool = False,
    send_mail: bool = True,
    site: str,
) -> Signed:
    """Store a signature, pending its signer's confirmation (or quietly `suspect`), and
    queue its confirmation mail, in one transaction; a second signature of the same
    canonical address stores nothing and queues an "already signed" mail instead.

    `send_mail=False` (a bot's honeypot signature) stores it without mailing an address
    that is probably not the sender's. `site` is the scheme and host for the links."""
    signature = Signature(
        petition_id=target.pk,
        name=name,
        email=email,
        email_canonical=canonical_email(email),
        country=country,
        postcode=postcode,
        comment=comment,
        show_publicly=show_publicly,
        send_updates=send_updates,
        language=language,
        ip_hash=ip_hash(address),
        state=Signature.State.SUSPECT if suspect else Signature.State.PENDING,
    )
    try:
        with transaction.atomic():
            signature.save(force_insert=True)
            if send_mail:
                tasks.send_confirmation.enqueue(signature_id=signature.pk, site=site)
        return Signed.NEW
    except IntegrityError:
        # The unique (petition, canonical address): signed before, or a moment ago by the
        # same form sent twice at once. The transaction above is gone entirely.
        pass
    with transaction.atomic():
        earlier = (
            Signature.objects.filter(
                petition_id=target.pk, email_canonical=signature.email_canonical
            )
            .values_list("pk", "created_at")
            .first()
        )
        if earlier is not None and send_mail and earlier[1] < timezone.now() - REPEAT_QUIET_FOR:
            tasks.send_already_signed.enqueue(signature_id=earlier[0], site=site)
    return Signed.ALREADY


class Confirmed(enum.StrEnum):
    NOW = "now"  # this request confirmed it (a suspect one too, quietly)
    BEFORE = "before"  # the link was used already
    CLOSED = "closed"  # the petition stopped taking signatures before it was confirmed


@transaction.atomic
def signature_confirm(*, signature: Signature) -> Confirmed:
    """The signer confirmed through the link. One conditional UPDATE decides, so a link
    used twice, or twice at once, confirms once; the count follows in its batch."""
    if signature.confirmed_at is not None:
        return Confirmed.BEFORE
    if not signature.petition.accepts_signatures:
        return Confirmed.CLOSED
    now = timezone.now()
    waiting = Signature.objects.filter(pk=signature.pk, confirmed_at__isnull=True)
    if waiting.filter(state=Signature.State.PENDING).update(
        state=Signature.State.CONFIRMED, confirmed_at=now
    ):
        counting.schedule_count_on_commit(signature.petition_id)
        return Confirmed.NOW
    # Suspect or invalidated: the confirmation is recorded for the moderators (an
    # accepted suspect counts only if confirmed), and the signer sees the usual page.
    if waiting.update(confirmed_at=now):
        return Confirmed.NOW
    return Confirmed.BEFORE


@transaction.atomic
def signature_unsubscribe(*, signature: Signature) -> None:
    """No more updates about this petition to this signer."""
    Signature.objects.filter(pk=signature.pk).update(send_updates=False)


@transaction.atomic
def signature_erase(*, signature: Signature) -> None:
    """The signer asked for their signature to be erased: the row goes, the count is
    redone, and the audit trail keeps that one was erased (nothing about whom)."""
    deleted, _ = Signature.objects.filter(pk=signature.pk).delete()
    if not deleted:
        return
    if signature.state == Signature.State.CONFIRMED:
        counting.schedule_count_on_commit(signature.petition_id)
    audit_record(
        action=AuditEvent.Action.DELETE,
        obj=signature.petition,
        fields=["signatures"],
        detail="a signature erased at its signer's request",
    )


def signature_resend(*, target: SigningTarget, email: str, site: str) -> None:
    """Queue a new confirmation link for whoever signed this petition with `email`. The
    look-up happens in the worker, so the request does the same for every address; the
    address travels encrypted, so the task table does not hold it in clear."""
    tasks.resend_confirmation.enqueue(
        petition_id=target.pk, email_token=crypto.encrypt(email), site=site
    )


# --- Keeping only what is needed -----------------------------------------------------------

ANONYMISE_AFTER = dt.timedelta(days=183)  # six months after the petition closed


@transaction.atomic
def signatures_expire_unconfirmed(*, now: dt.datetime | None = None) -> int:
    """Delete the signatures nobody confirmed within CONFIRM_WITHIN: they never counted,
    and their addresses were never the signer's to give, as far as anyone knows."""
    now = now or timezone.now()
    expired = Signature.objects.filter(
        confirmed_at__isnull=True,
        state__in=[Signature.State.PENDING, Signature.State.SUSPECT],
        created_at__lt=now - CONFIRM_WITHIN,
    )
    petition_ids = set(expired.values_list("petition_id", flat=True))
    deleted, _ = expired.delete()
    for petition in Petition.objects.filter(pk__in=petition_ids):
        audit_record(
            action=AuditEvent.Action.DELETE,
            obj=petition,
            fields=["signatures"],
            detail="unconfirmed signatures expired after 7 days",
        )
    return deleted


def _closed_long_ago(now: dt.datetime) -> Q:
    """Petitions that closed more than ANONYMISE_AFTER ago: by their last status change
    to closed (and not reopened since), or by their closing date."""
    cutoff = now - ANONYMISE_AFTER
    closed_by_status = Q(
        status__in=[Petition.Status.CLOSED, Petition.Status.DELIVERED, Petition.Status.RESPONDED],
        last_closed__lte=cutoff,
    )
    closed_by_date = ~Q(status=Petition.Status.DRAFT) & Q(closes_on__lt=cutoff.date())
    return closed_by_status | closed_by_date


@transaction.atomic
def signatures_anonymise(*, now: dt.datetime | None = None) -> int:
    """Six months after a petition closed, its signatures lose everything that says who
    signed: name, address, postcode, comment, address hash, opt-ins. Their state,
    country and dates stay, so the counts (by country too) stay what they were."""
    now = now or timezone.now()
    petitions = Petition.objects.annotate(
        last_closed=Max(
            "events__at",
            filter=Q(events__kind=PetitionEvent.Kind.STATUS, events__status="closed"),
        )
    ).filter(_closed_long_ago(now))
    total = 0
    for petition in petitions:
        count = (
            Signature.objects.filter(petition=petition)
            .exclude(email="")
            .update(
                name="",
                email="",
                email_canonical=Concat(
                    Value("anonymised-"), Cast(F("pk"), output_field=CharField())
                ),
                postcode="",
                comment="",
                ip_hash="",
                show_publicly=False,
                send_updates=False,
            )
        )
        if count:
            total += count
            audit_record(
                action=AuditEvent.Action.CHANGE,
                obj=petition,
                fields=["signatures"],
                detail=f"{count} signatures anonymised six months after closing",
            )
            counting.forget_pages_on_commit(petition)
    return total
