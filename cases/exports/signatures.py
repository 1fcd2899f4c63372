"""The delivery pack of a petition: what its addressee's office receives.

Two files, each recorded in the audit trail by the admin view that serves it
(cases/admin/delivery_pack.py):

- The PDF: a cover page (the addressee, the petition's title, letter and demands, the
  number of confirmed signatures and a table of them by country), then every confirmed
  signature, one short line each in two columns.
- The CSV of the signatures, one row each, for an office that counts or checks them by
  machine; and the counts by country as a second small CSV. Two files, not one with a
  second table under the first, so that each opens as one clean table.

What a signature shows: the name, the country, the postcode if given, the day it was
confirmed. Never the email address, the address hash, the comment or the choices the
signer made about updates: the addressee needs to know who signed and from where,
nothing that would let them contact or trace a signer. Only confirmed signatures count;
pending, suspect and invalidated ones are left out, as on the public count.

The pack is in the petition's fallback language: its text, its headings and the names
of the countries. Rows are read with `.iterator()`, so a CSV of 100,000 signatures
streams without loading them. The PDF cannot stream: WeasyPrint lays every page out in
memory, about 2 ms of CPU and 35 kB a signature (10,000: ~20 s, ~350 MB). So the PDF
lists the names up to `PDF_LIST_LIMIT`; above it the cover page (the count, the
countries) says the names are in the CSV, which always holds them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain

from django.db.models import Count, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django_countries import countries

from cases.exports.cells import csv_lines
from cases.models import Petition, PetitionText, Signature
from cases.text import isolate

PDF_TEMPLATE = "exports/petition_delivery_pack.html"
# The most signatures the PDF lists by name, to stay within a web request's time and a
# worker's memory; a larger petition's PDF is its cover page, its names in the CSV.
PDF_LIST_LIMIT = 10_000


@dataclass(frozen=True)
class CountryCount:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class SignatureRow:
    name: str
    country_code: str
    country: str
    postcode: str
    confirmed_on: dt.date | None

    @property
    def isolated_name(self) -> str:
        """For the PDF: a right-to-left name cannot reorder the rest of its line."""
        return isolate(self.name)


@dataclass(frozen=True)
class DeliveryPack:
    """Everything the PDF shows, read once: the template gets no model instance."""

    slug: str
    language: str
    bidi: bool
    title: str
    letter: str
    demands: tuple[str, ...]
    salutation: str
    # The address block's lines (name, title, body, postal address, government), each
    # isolated: a Latin postal address keeps its order in a right-to-left pack.
    addressee: tuple[str, ...]
    prepared_on: dt.date
    total: int
    total_display: str
    countries: tuple[CountryCount, ...]
    # Empty if there are more than PDF_LIST_LIMIT (`listed` is then False).
    signatures: Iterator[SignatureRow]
    listed: bool


def pack_language(petition: Petition) -> str:
    return petition.fallback_language


def confirmed_signatures(petition: Petition) -> QuerySet[Signature]:
    """The signatures that count, oldest confirmation first."""
    return Signature.objects.filter(petition=petition, state=Signature.State.CONFIRMED).order_by(
        "confirmed_at", "pk"
    )


def _country_namer(language: str) -> Callable[[str], str]:
    """Country names in `language`, each looked up once however many rows name it."""
    names: dict[str, str] = {}

    def name(code: str) -> str:
        if code not in names:
            with translation.override(language):
                names[code] = str(countries.name(code)) or code
        return names[code]

    return name


def country_counts(petition: Petition, *, language: str) -> list[CountryCount]:
    """Confirmed signatures by country (one aggregate query), most first, then by name."""
    name = _country_namer(language)
    rows = (
        confirmed_signatures(petition)
        .order_by()
        .values("country")
        .annotate(n=Count("pk"))
        .values_list("country", "n")
    )
    counts = [CountryCount(code=code, name=name(code), count=n) for code, n in rows]
    return sorted(counts, key=lambda row: (-row.count, row.name))


def signature_rows(petition: Petition, *, language: str) -> Iterator[SignatureRow]:
    """Each confirmed signature, read in chunks from the database."""
    name = _country_namer(language)
    rows = confirmed_signatures(petition).values_list("name", "country", "postcode", "confirmed_at")
    for signer, code, postcode, confirmed_at in rows.iterator(chunk_size=2000):
        yield SignatureRow(
            name=signer,
            country_code=code,
            country=name(code),
            postcode=postcode,
            confirmed_on=timezone.localdate(confirmed_at) if confirmed_at else None,
        )


def _text(petition: Petition, language: str) -> PetitionText | None:
    texts = petition.texts.order_by("language")
    return texts.filter(language=language).first() or texts.first()


def delivery_pack(petition: Petition) -> DeliveryPack:
    """The pack's contents, in the pack's language; the signatures still to be read."""
    language = pack_language(petition)
    text = _text(petition, language)
    counts = country_counts(petition, language=language)
    total = sum(row.count for row in counts)
    listed = total <= PDF_LIST_LIMIT
    with translation.override(language):
        government = str(petition.addressee_government.name or "")
        total_display = formats.number_format(total, force_grouping=True)
    return DeliveryPack(
        slug=petition.slug,
        language=language,
        bidi=bool(get_language_info(language)["bidi"]),
        title=text.title if text else petition.slug,
        letter=text.letter if text else "",
        demands=tuple(text.demand_list) if text else (),
        salutation=petition.salutation,
        addressee=tuple(
            isolate(line.strip())
            for line in [
                petition.addressee_name,
                petition.addressee_title,
                petition.addressee_body,
                *petition.addressee_address.splitlines(),
                government,
            ]
            if line.strip()
        ),
        prepared_on=timezone.localdate(),
        total=total,
        total_display=total_display,
        countries=tuple(counts),
        signatures=signature_rows(petition, language=language) if listed else iter(()),
        listed=listed,
    )


def delivery_pack_pdf(pack: DeliveryPack) -> bytes:
    # Imported here, not at startup: WeasyPrint takes half a second to load.
    from cases.exports.pdf import render_pdf

    with translation.override(pack.language):
        return render_pdf(
            PDF_TEMPLATE, {"pack": pack, "language": pack.language, "bidi": pack.bidi}
        )


def signatures_csv(petition: Petition) -> Iterator[str]:
    """One row a confirmed signature: name, country, country code, postcode, confirmed
    on (ISO date). Headings in the pack's language; the country code is the same in any."""
    language = pack_language(petition)
    with translation.override(language):
        header = [_("name"), _("country"), _("country code"), _("postcode"), _("confirmed on")]
    rows = (
        (row.name, row.country, row.country_code, row.postcode, row.confirmed_on)
        for row in signature_rows(petition, language=language)
    )
    return csv_lines(chain([header], rows))


def countries_csv(petition: Petition) -> Iterator[str]:
    """Confirmed signatures by country: country, country code, signatures."""
    language = pack_language(petition)
    with translation.override(language):
        header = [_("country"), _("country code"), _("signatures")]
    rows = ((row.name, row.code, row.count) for row in country_counts(petition, language=language))
    return csv_lines(chain([header], rows))
