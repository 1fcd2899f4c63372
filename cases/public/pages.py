"""What the public petition pages may show: the one narrow read of the public side.

Public views never see a model. They ask this module, which loads a petition only if
it is public (never a draft) and returns frozen dataclasses holding only what may be
published: the petition's own texts in the reader's language (or its fallback), its
addressee, status, count and goal, the first name and country of signers who asked to
be shown, the government's response once recorded, and each linked family's story as
its people consented to it. Nothing else from a case ever leaves here.

The consent rule for a family's story (`family_story`), on top of `cases.consent`:

- A family none of whose people (members, separated relatives, reporting contact)
  consented to publication (named or anonymised) has no story on the page at all.
- Its public summary is shown only if it names nobody who did not agree to be named.
- Its timeline is `case_timeline(family, public=True)` (consent, publishable marks),
  less any item whose text names such a person.
- The government's response summary is held to the same rule for its family.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count, Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from cases.consent import family_consent
from cases.models import (
    Family,
    Person,
    Petition,
    PetitionEvent,
    PetitionText,
    Signature,
    next_goal,
)
from cases.public import counting
from cases.timeline import case_timeline

RECENT_SIGNERS = 10
# Open data: a country with fewer signatures than this is counted under "other", so a
# lone signer abroad cannot be picked out.
COUNTRY_MINIMUM = 5


# --- The view model ---------------------------------------------------------------------


@dataclass(frozen=True)
class Addressee:
    name: str
    title: str
    body: str
    government: str
    address_lines: tuple[str, ...]
    # The addressee and the salutation are written once, in the petition's fallback
    # language, whatever the reader's.
    language: str
    bidi: bool


@dataclass(frozen=True)
class Progress:
    count: int
    goal: int
    percent: int
    count_display: str
    goal_display: str
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class PublicSigner:
    first_name: str
    country: str


@dataclass(frozen=True)
class PublicResponse:
    body: str
    outcome: str
    summary: str
    date: str
    date_iso: str


@dataclass(frozen=True)
class StoryItem:
    date: str
    title: str
    detail: str
    source: str
    source_url: str


@dataclass(frozen=True)
class FamilyStory:
    summary: str
    timeline: tuple[StoryItem, ...]


@dataclass(frozen=True)
class PetitionCard:
    """A petition in the list."""

    slug: str
    title: str
    summary: str
    text_language: str
    text_bidi: bool
    state: str
    state_label: str
    accepts_signatures: bool
    progress: Progress


@dataclass(frozen=True)
class PetitionPage:
    """Everything a petition page shows, and nothing more."""

    slug: str
    language: str
    text_language: str
    text_bidi: bool
    title: str
    summary: str
    salutation: str
    letter_paragraphs: tuple[str, ...]
    demands: tuple[str, ...]
    addressee: Addressee
    state: str
    state_label: str
    accepts_signatures: bool
    proof_of_work: bool
    opens_on: dt.date | None
    closes_on: dt.date | None
    progress: Progress
    signers: tuple[PublicSigner, ...]
    response: PublicResponse | None
    stories: tuple[FamilyStory, ...]

    @property
    def is_open(self) -> bool:
        return self.accepts_signatures

    @property
    def not_open_yet(self) -> bool:
        return self.state == "upcoming"


# --- Loading: public petitions only -------------------------------------------------------


def public_petition_id(slug: str) -> int | None:
    """The id of the petition at this address if supporters may see it; drafts: None."""
    return Petition.objects.public().filter(slug=slug).values_list("pk", flat=True).first()


def _public_petition(petition_id: int) -> Petition | None:
    return (
        Petition.objects.public()
        .select_related("response")
        .prefetch_related("texts")
        .filter(pk=petition_id)
        .first()
    )


# --- Small rules shared by the page, the list, count.json and the open data -------------


def state(petition: Petition, today: dt.date | None = None) -> str:
    """The petition's public state: upcoming, open, closed, delivered or responded."""
    today = today or timezone.localdate()
    if petition.status == Petition.Status.PUBLISHED:
        if petition.opens_on and today < petition.opens_on:
            return "upcoming"
        if petition.closes_on and petition.closes_on < today:
            return "closed"
        return "open"
    return str(petition.status)


def state_label(value: str) -> str:
    labels = {
        "upcoming": _("Not open yet"),
        "open": _("Open for signatures"),
        "closed": _("Closed"),
        "delivered": _("Delivered"),
        "responded": _("Answered"),
    }
    return str(labels.get(value, value))


def progress(petition: Petition) -> Progress:
    count = petition.signature_count
    goal = next_goal(count, petition.goal)
    return Progress(
        count=count,
        goal=goal,
        percent=min(100, count * 100 // goal) if goal else 100,
        count_display=intcomma(count),
        goal_display=intcomma(goal),
        updated_at=petition.count_updated_at,
    )


def _is_bidi(language: str) -> bool:
    try:
        return bool(get_language_info(language)["bidi"])
    except KeyError:
        return False


def _text(petition: Petition, language: str) -> PetitionText | None:
    """The petition's text in `language`, else in its fallback language, else any."""
    texts = {text.language: text for text in petition.texts.all()}
    order = [language, petition.fallback_language, *(code for code, _n in settings.LANGUAGES)]
    return next((texts[code] for code in order if code in texts), None)


def _paragraphs(text: str) -> tuple[str, ...]:
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return tuple(block.strip() for block in blocks if block.strip())


# --- Consent (the rule: cases.consent) ------------------------------------------------


def story_withheld_reason(family: Family) -> str:
    """For staff (the petition admin): why the page shows less of this family's story
    than its public summary; "" when the summary is shown."""
    consent = family_consent(family)
    if not consent.anyone_consented:
        return _("Nobody on this case consented to publication: no story is shown.")
    if not family.public_summary.strip():
        return _("The case has no public summary.")
    if consent.names_someone_unnamed(family.public_summary):
        return _(
            "The public summary names someone who did not agree to be named: only the "
            "public timeline is shown."
        )
    return ""


def family_story(family: Family) -> FamilyStory | None:
    """The family's story as its people consented to it (rule: module docstring)."""
    consent = family_consent(family)
    if not consent.anyone_consented:
        return None
    summary = family.public_summary.strip()
    if consent.names_someone_unnamed(summary):
        summary = ""
    items = []
    for item in case_timeline(family, public=True):
        text = " ".join([item.title, item.detail, item.source, item.source_url])
        if consent.names_someone_unnamed(text):
            continue
        items.append(
            StoryItem(
                date=item.date.display() if item.date else "",
                title=item.title,
                detail=item.detail,
                source=item.source,
                source_url=item.source_url,
            )
        )
    if not summary and not items:
        return None
    return FamilyStory(summary=summary, timeline=tuple(items))


def _response(petition: Petition) -> PublicResponse | None:
    """The government's answer, once the petition is recorded as answered."""
    contact = petition.response
    if petition.status != Petition.Status.RESPONDED or contact is None:
        return None
    summary = contact.summary
    if family_consent(contact.family).names_someone_unnamed(summary):
        summary = ""
    when = contact.response_on or contact.contacted_on
    return PublicResponse(
        body=contact.body,
        outcome=contact.outcome_label,
        summary=summary,
        date=when.display() if when else "",
        date_iso=str(when) if when else "",
    )


def _signers(petition: Petition) -> tuple[PublicSigner, ...]:
    rows = Signature.objects.filter(
        petition=petition, state=Signature.State.CONFIRMED, show_publicly=True
    ).order_by("-confirmed_at", "-pk")[:RECENT_SIGNERS]
    return tuple(
        PublicSigner(first_name=row.first_name, country=str(row.country.name)) for row in rows
    )


# --- The one function that builds a page -----------------------------------------------


def petition_page(petition: Petition, *, language: str | None = None) -> PetitionPage | None:
    """The page of a public petition in the reader's language; None for a draft or a
    petition without any text."""
    if petition.status == Petition.Status.DRAFT:
        return None
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    text = _text(petition, language)
    if text is None:
        return None
    families = petition.families.select_related("reporting_contact").order_by("pk")
    stories = tuple(story for family in families if (story := family_story(family)))
    current = state(petition)
    return PetitionPage(
        slug=petition.slug,
        language=language,
        text_language=text.language,
        text_bidi=_is_bidi(text.language),
        title=text.title,
        summary=text.summary,
        salutation=petition.salutation,
        letter_paragraphs=_paragraphs(text.letter),
        demands=tuple(text.demand_list),
        addressee=Addressee(
            name=petition.addressee_name,
            title=petition.addressee_title,
            body=petition.addressee_body,
            government=str(petition.addressee_government.name)
            if petition.addressee_government
            else "",
            address_lines=tuple(
                line.strip() for line in petition.addressee_address.splitlines() if line.strip()
            ),
            language=petition.fallback_language,
            bidi=_is_bidi(petition.fallback_language),
        ),
        state=current,
        state_label=state_label(current),
        accepts_signatures=petition.accepts_signatures,
        proof_of_work=petition.proof_of_work,
        opens_on=petition.opens_on,
        closes_on=petition.closes_on,
        progress=progress(petition),
        signers=_signers(petition),
        response=_response(petition),
        stories=stories,
    )


def load_petition_page(petition_id: int, *, slug: str) -> PetitionPage | None:
    """The page of the public petition with this id, if it is still at `slug`."""
    petition = _public_petition(petition_id)
    if petition is None or petition.slug != slug:
        return None
    return petition_page(petition)


def petition_cards(*, language: str | None = None) -> list[PetitionCard]:
    """Every public petition, open ones first, newest first."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    petitions = Petition.objects.public().prefetch_related(
        Prefetch("texts", queryset=PetitionText.objects.order_by("pk"))
    )
    cards = []
    for petition in petitions:
        text = _text(petition, language)
        if text is None:
            continue
        current = state(petition)
        cards.append(
            PetitionCard(
                slug=petition.slug,
                title=text.title,
                summary=text.summary,
                text_language=text.language,
                text_bidi=_is_bidi(text.language),
                state=current,
                state_label=state_label(current),
                accepts_signatures=petition.accepts_signatures,
                progress=progress(petition),
            )
        )
    cards.sort(key=lambda card: not card.accepts_signatures)  # stable: newest first kept
    return cards


# --- The JSON documents -------------------------------------------------------------------


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


def count_document(petition_id: int, *, slug: str) -> dict | None:
    """count.json: the count as last counted, the goal beside it, and when."""
    petition = (
        Petition.objects.public()
        .filter(pk=petition_id, slug=slug)
        .only(
            "slug",
            "status",
            "goal",
            "signature_count",
            "count_updated_at",
            "opens_on",
            "closes_on",
        )
        .first()
    )
    if petition is None:
        return None
    shown = progress(petition)
    return {
        "slug": petition.slug,
        "count": shown.count,
        "goal": shown.goal,
        "percent": shown.percent,
        "state": state(petition),
        "accepts_signatures": petition.accepts_signatures,
        "updated_at": _iso(shown.updated_at),
    }


def _by_country(petition: Petition) -> list[dict]:
    rows = (
        Signature.objects.filter(petition=petition, state=Signature.State.CONFIRMED)
        .values("country")
        .annotate(n=Count("pk"))
        .order_by("-n", "country")
    )
    shown: list[dict] = []
    other = 0
    for row in rows:
        if row["n"] < COUNTRY_MINIMUM:
            other += row["n"]
            continue
        code = row["country"]
        shown.append({"code": code, "name": _country_name(code), "signature_count": row["n"]})
    if other:
        shown.append({"code": "other", "name": "Other", "signature_count": other})
    return shown


def _country_name(code: str) -> str:
    from django_countries import countries

    with translation.override(settings.LANGUAGE_CODE):
        return str(countries.name(code))


def _first(events: Iterable[PetitionEvent], status: str, *, last: bool = False) -> str | None:
    times = [event.at for event in events if event.status == status]
    if not times:
        return None
    return _iso(times[-1] if last else times[0])


def open_data_document(petition_id: int, *, slug: str) -> dict | None:
    """The petition as open data, after the UK Parliament's petitions site: state, goals
    and when they were reached, the response, confirmed signatures by country (small
    countries grouped as "other"). Never a name, an email or anything from a case."""
    petition = _public_petition(petition_id)
    if petition is None or petition.slug != slug:
        return None
    text = _text(petition, petition.fallback_language)
    events = list(petition.events.order_by("at", "pk"))
    goals = [
        {"goal": event.goal, "reached_at": _iso(event.at)}
        for event in events
        if event.kind == PetitionEvent.Kind.GOAL
    ]
    with translation.override(settings.LANGUAGE_CODE):
        response = _response(petition)
        addressee_government = str(petition.addressee_government.name or "")
    shown = progress(petition)
    return {
        "data": {
            "type": "petition",
            "id": petition.slug,
            "attributes": {
                "title": text.title if text else "",
                "summary": text.summary if text else "",
                "language": text.language if text else "",
                "languages": sorted(t.language for t in petition.texts.all()),
                "state": state(petition),
                "accepts_signatures": petition.accepts_signatures,
                "addressee": {
                    "name": petition.addressee_name,
                    "title": petition.addressee_title,
                    "body": petition.addressee_body,
                    "government": petition.addressee_government.code or None,
                    "government_name": addressee_government or None,
                },
                "signature_count": shown.count,
                "counted_at": _iso(shown.updated_at),
                "goal": shown.goal,
                "goals_reached": goals,
                "opens_on": _iso(petition.opens_on),
                "closes_on": _iso(petition.closes_on),
                "opened_at": _first(events, Petition.Status.PUBLISHED),
                "closed_at": _first(events, Petition.Status.CLOSED, last=True),
                "delivered_at": _first(events, Petition.Status.DELIVERED),
                "responded_at": _first(events, Petition.Status.RESPONDED),
                "government_response": None
                if response is None
                else {
                    "body": response.body,
                    "outcome": response.outcome,
                    "summary": response.summary,
                    "responded_on": response.date_iso or None,
                },
                "signatures_by_country": _by_country(petition),
            },
        }
    }


# --- For staff edits of what a page shows ---------------------------------------------


def forget_family_pages(family_id: int) -> None:
    """The cached pages of every petition showing this family's story are out of date:
    for a change of its public summary, a person's consent or a publishable entry."""
    for petition_id in Petition.objects.filter(families=family_id).values_list("pk", flat=True):
        counting.forget_pages(petition_id)


def forget_pages_of_record(obj: object) -> None:
    """A case record was saved: forget the cached pages of every petition whose story
    it may be part of (its case's, or for a person every case they are on)."""
    if isinstance(obj, Person):
        family_ids = set(
            Family.objects.filter(
                Q(memberships__person=obj) | Q(separations__person=obj) | Q(reporting_contact=obj)
            ).values_list("pk", flat=True)
        )
    elif isinstance(obj, Family):
        family_ids = {obj.pk}
    else:
        family_ids = {getattr(obj, "family_id", None)} - {None}
    for family_id in family_ids:
        forget_family_pages(family_id)
