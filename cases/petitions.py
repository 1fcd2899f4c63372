"""Staff-side changes to petitions, each written with its `PetitionEvent` (shown on the
timeline of every linked case) and its audit row, in one transaction. The picture a
petition's shared links show is stored only as `cases.images` re-encoded it.

The public side (pages, signing, counting) is `cases.public`.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cases import images
from cases.audit import audit_record
from cases.models import (
    AuditEvent,
    GovernmentContact,
    Petition,
    PetitionEvent,
    PetitionShareImage,
    Signature,
    SignatureInvalidation,
)
from cases.partial_dates import PartialDate
from cases.public import counting

Status = Petition.Status

# Which status may follow which. A closed petition may be reopened before delivery.
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.PUBLISHED},
    Status.PUBLISHED: {Status.CLOSED},
    Status.CLOSED: {Status.PUBLISHED, Status.DELIVERED},
    Status.DELIVERED: {Status.RESPONDED},
    Status.RESPONDED: set(),
}


def check_transition(current: str, status: str) -> None:
    """Raise ValidationError (a message for staff) unless `current` may become `status`."""
    if status not in TRANSITIONS.get(current, set()):
        raise ValidationError(
            _("A petition that is %(current)s cannot become %(new)s.")
            % {"current": Status(current).label, "new": Status(status).label},
            code="transition",
        )


def _set_status(petition: Petition, status: str, actor: AbstractBaseUser | None) -> None:
    current = (
        Petition.objects.select_for_update().values_list("status", flat=True).get(pk=petition.pk)
    )
    check_transition(current, status)
    petition.status = status
    petition.save(update_fields=["status", "updated_at"])
    PetitionEvent.objects.create(
        petition=petition, kind=PetitionEvent.Kind.STATUS, status=status, actor=actor
    )
    audit_record(action=AuditEvent.Action.CHANGE, actor=actor, obj=petition, fields=["status"])
    counting.forget_pages_on_commit(petition)


@transaction.atomic
def petition_publish(*, petition: Petition, actor: AbstractBaseUser | None) -> Petition:
    """Open the petition to signatures. It needs a text in its fallback language."""
    if not petition.texts.filter(language=petition.fallback_language).exists():
        raise ValidationError(
            _("Write the petition in its fallback language before publishing it."),
            code="no_text",
        )
    _set_status(petition, Status.PUBLISHED, actor)
    return petition


@transaction.atomic
def petition_close(*, petition: Petition, actor: AbstractBaseUser | None) -> Petition:
    _set_status(petition, Status.CLOSED, actor)
    return petition


@transaction.atomic
def petition_record_delivery(
    *,
    petition: Petition,
    actor: AbstractBaseUser | None,
    delivered_on: PartialDate,
    channel: str = GovernmentContact.Channel.LETTER,
) -> list[GovernmentContact]:
    """The petition was handed to its addressee: a government contact on each linked
    case (with the count), and the petition delivered."""
    _set_status(petition, Status.DELIVERED, actor)
    official = ", ".join(p for p in (petition.addressee_name, petition.addressee_title) if p)
    contacts = [
        GovernmentContact.objects.create(
            family=family,
            government=petition.addressee_government,
            body_kind=GovernmentContact.BodyKind.OTHER,
            body=petition.addressee_body or petition.addressee_name,
            official=official,
            contacted_on=delivered_on,
            direction=GovernmentContact.Direction.WE_ASKED,
            channel=channel,
            summary=_("Petition “%(slug)s” delivered with %(count)d signatures.")
            % {"slug": petition.slug, "count": petition.signature_count},
            created_by=actor,
        )
        for family in petition.families.all()
    ]
    return contacts


@transaction.atomic
def petition_record_response(
    *, petition: Petition, contact: GovernmentContact, actor: AbstractBaseUser | None
) -> Petition:
    """The addressee answered: `contact` (on a linked case) is shown on the petition page."""
    if not petition.families.filter(pk=contact.family_id).exists():
        raise ValidationError(
            _("The response must be a contact on one of the petition's cases."), code="family"
        )
    petition.response = contact
    petition.save(update_fields=["response", "updated_at"])
    _set_status(petition, Status.RESPONDED, actor)
    return petition


@transaction.atomic
def petition_set_share_image(
    *,
    petition: Petition,
    upload: File | images.ShareImage,
    actor: AbstractBaseUser | None,
) -> PetitionShareImage:
    """The picture the petition's links show when shared. An upload is decoded and
    re-encoded without its metadata (`cases.images.share_image`, which raises
    ValidationError for anything else); a form that did that already, to show its errors
    beside the field, passes the result."""
    image = upload if isinstance(upload, images.ShareImage) else images.share_image(upload)
    stored, _created = PetitionShareImage.objects.update_or_create(
        petition=petition,
        defaults={
            "data": image.data,
            "width": image.width,
            "height": image.height,
            "digest": image.digest,
        },
    )
    audit_record(action=AuditEvent.Action.CHANGE, actor=actor, obj=petition, fields=["share_image"])
    counting.forget_pages_on_commit(petition)
    return stored


@transaction.atomic
def petition_remove_share_image(*, petition: Petition, actor: AbstractBaseUser | None) -> None:
    """Back to the site's own picture."""
    deleted, _kinds = PetitionShareImage.objects.filter(petition=petition).delete()
    if deleted:
        audit_record(
            action=AuditEvent.Action.CHANGE, actor=actor, obj=petition, fields=["share_image"]
        )
        counting.forget_pages_on_commit(petition)


# --- Moderation -------------------------------------------------------------------------

RULE_FIELDS = (
    "email_domain",
    "ip_hash",
    "created_from",
    "created_to",
    "name_pattern",
    "country",
    "signature_ids",  # signatures a moderator picked one by one in the admin's list
)


def signatures_matching(petition: Petition, rule: dict[str, Any]) -> QuerySet[Signature]:
    """The petition's signatures that a moderation rule names (all its parts at once)."""
    unknown = set(rule) - set(RULE_FIELDS)
    if unknown or not any(rule.values()):
        raise ValidationError(_("Name at least one rule: domain, address, time, name or country."))
    query = Q(petition=petition)
    if domain := rule.get("email_domain"):
        query &= Q(email_canonical__endswith="@" + domain.strip().lower().lstrip("@"))
    if ip_hash := rule.get("ip_hash"):
        query &= Q(ip_hash=ip_hash)
    if created_from := rule.get("created_from"):
        query &= Q(created_at__gte=created_from)
    if created_to := rule.get("created_to"):
        query &= Q(created_at__lte=created_to)
    if pattern := rule.get("name_pattern"):
        try:
            re.compile(pattern)
        except re.error:
            raise ValidationError(
                _("The name pattern is not a valid regular expression.")
            ) from None
        query &= Q(name__iregex=pattern)
    if country := rule.get("country"):
        query &= Q(country=country)
    if signature_ids := rule.get("signature_ids"):
        query &= Q(pk__in=[int(pk) for pk in signature_ids])
    return Signature.objects.filter(query)


@transaction.atomic
def signatures_invalidate(
    *, petition: Petition, rule: dict[str, Any], actor: AbstractBaseUser
) -> SignatureInvalidation:
    """Invalidate, never delete, what the rule names; record who, when, which rule and
    how many; recount."""
    matching = signatures_matching(petition, rule).exclude(state=Signature.State.INVALIDATED)
    count = matching.update(state=Signature.State.INVALIDATED)
    serialised = {key: str(value) for key, value in rule.items() if value}
    record = SignatureInvalidation.objects.create(
        petition=petition, rule=serialised, count=count, actor=actor
    )
    audit_record(
        action=AuditEvent.Action.CHANGE,
        actor=actor,
        obj=petition,
        fields=["signatures"],
        detail=f"invalidated {count} signatures by rule",
    )
    counting.schedule_count_on_commit(petition.pk)
    return record


@transaction.atomic
def signatures_accept(*, signatures: QuerySet[Signature], actor: AbstractBaseUser) -> int:
    """Suspect signatures reviewed and found real: counted if confirmed by their signer,
    otherwise waiting for that confirmation like any other."""
    suspect = signatures.filter(state=Signature.State.SUSPECT)
    petitions = set(suspect.values_list("petition_id", flat=True))
    accepted = suspect.filter(confirmed_at__isnull=False).update(state=Signature.State.CONFIRMED)
    accepted += suspect.filter(confirmed_at__isnull=True).update(state=Signature.State.PENDING)
    for petition_id in petitions:
        counting.schedule_count_on_commit(petition_id)
        audit_record(
            action=AuditEvent.Action.CHANGE,
            actor=actor,
            detail=f"accepted suspect signatures of petition {petition_id}",
        )
    return accepted
