"""Submissions shaped for UN bodies: one form per separated person, laid out as the
Working Group on Enforced or Involuntary Disappearances (WGEID) or the Working Group on
Arbitrary Detention (WGAD) asks for an individual case, and what each form still lacks.

Every form is read from a `case_summary` document (`cases.exports.summary`), already
redacted at its level, and from nothing else: an advocate's form holds the prefecture,
never the exact place; the identity document number only as "held, confidential";
a name only with the person's consent. What the level withholds counts as missing for
that level: the form is what this reader may hand over.

The WGEID "cannot process" a case without six elements (its methods of work, and the
form it publishes for an individual communication):

1. the identity of the person: full name; an identity document number and a photograph
   where held (Reunite keeps no photographs, and says so);
2. the date of the disappearance: at least the month and the year;
3. the place of arrest or abduction, or where the person was last seen;
4. the State or State-supported forces believed responsible;
5. the action taken by relatives or others to locate the person (inquiries with
   authorities: the case's government contacts), or why none was possible;
6. the identity of the person or organisation submitting.

It also asks for the family's consent, which details must stay confidential, and the
full names of institutions, not abbreviations (`abbreviations`).

The WGAD's model questionnaire asks for the detention (that the person was detained,
and when), the authority that ordered it and its legal basis if any, the charge and the
sentence, the place of detention, and the steps taken before the national authorities,
with the same identity and submitter.

`missing` lists, per form, exactly the elements the case lacks ("missing before
submission" on the cover). Decisions in it:

- A charge and a sentence are asked only of someone imprisoned: a camp detention has
  neither, and saying so is the point of the submission.
- "Steps before the national authorities" are contacts with China's authorities; the
  contacts with other governments are listed as other steps. A recorded reason why no
  inquiry was possible stands in for both Working Groups.
- Separations that have ended (reunited, closed) get no form.

A disappearance or detention within the last three months is marked for the Working
Group's urgent procedure (`urgent`): its date known at least to the month, that month
reaching into the three months. Abbreviations in the free text that goes on a form
are flagged on the cover, with their full names where `ABBREVIATIONS` has them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import GovernmentContact, Person, Separation
from cases.partial_dates import PartialDate
from cases.text import isolate

Summary = dict[str, Any]

WGEID = "wgeid"
WGAD = "wgad"
BODIES = {
    WGEID: gettext_lazy("UN Working Group on Enforced or Involuntary Disappearances"),
    WGAD: gettext_lazy("UN Working Group on Arbitrary Detention"),
}

# The urgent procedure: a disappearance within the three months before the report.
URGENT_MONTHS = 3
REGION = gettext_lazy("Xinjiang Uyghur Autonomous Region")

# Abbreviations common in these cases, and what the Working Groups want written instead.
ABBREVIATIONS: dict[str, Promise] = {
    "PSB": gettext_lazy("Public Security Bureau"),
    "MPS": gettext_lazy("Ministry of Public Security"),
    "MSS": gettext_lazy("Ministry of State Security"),
    "SSB": gettext_lazy("State Security Bureau"),
    "PAP": gettext_lazy("People's Armed Police"),
    "PLA": gettext_lazy("People's Liberation Army"),
    "XPCC": gettext_lazy("Xinjiang Production and Construction Corps"),
    "XUAR": gettext_lazy("Xinjiang Uyghur Autonomous Region"),
    "MFA": gettext_lazy("Ministry of Foreign Affairs"),
    "CCP": gettext_lazy("Chinese Communist Party"),
    "CPC": gettext_lazy("Communist Party of China"),
    "PLAC": gettext_lazy("Political and Legal Affairs Commission"),
    "UFWD": gettext_lazy("United Front Work Department"),
    "VETC": gettext_lazy("Vocational Education and Training Centre"),
    "PRC": gettext_lazy("People's Republic of China"),
}
# A word in capitals, 2 to 6 letters: an abbreviation, unless it is a Roman numeral.
_CAPITALS = re.compile(r"(?<![\w])[A-Z]{2,6}(?![\w])")
_ROMAN = re.compile(r"^[IVXLCDM]+$")

# Not a disappearance or a detention any more: no form.
_ENDED = {Separation.Status.REUNITED.value, Separation.Status.CLOSED.value}
_DETAINED = {Person.Condition.DETAINED_IN_CAMP.value, Person.Condition.IMPRISONED.value}
# Consent that lets the organisation speak for the family (named or without a name).
_CONSENTED = {Person.Consent.NAMED.value, Person.Consent.ANONYMISED.value}


@dataclass(frozen=True)
class Submitter:
    """Who submits: the organisation, and the staff member who prepared the export."""

    organisation: str
    name: str


@dataclass(frozen=True)
class Row:
    label: str
    value: str  # "" is printed as "not recorded"
    lang: str = ""  # "ug" or "zh" for a name in that script, for its font


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    rows: tuple[Row, ...] = ()
    items: tuple[str, ...] = ()  # e.g. the inquiries made, one line each
    note: str = ""


@dataclass(frozen=True)
class Missing:
    key: str
    label: str
    why: str = ""


@dataclass(frozen=True)
class Abbreviation:
    where: str
    short: str
    full: str  # "" when not in ABBREVIATIONS


@dataclass(frozen=True)
class UnForm:
    body: str  # WGEID or WGAD
    reference: str
    person: str
    sections: tuple[Section, ...]
    missing: tuple[Missing, ...]
    abbreviations: tuple[Abbreviation, ...]
    confidential: tuple[str, ...]
    urgent_since: str  # the date that makes it urgent, or ""

    @property
    def missing_keys(self) -> list[str]:
        return [item.key for item in self.missing]


# --- Reading the summary -------------------------------------------------------------


def _label(choice: dict[str, str] | None) -> str:
    return choice["label"] if choice else ""


def _code(choice: dict[str, str] | None) -> str:
    return choice["code"] if choice else ""


def _months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier, or that month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def urgent(since: str | None, *, today: dt.date) -> bool:
    """Whether a disappearance or detention of `since` (a partial ISO date) may fall
    within the last three months: known at least to the month, and that period reaching
    into them. A date known only to the year is not enough to tell."""
    if not since:
        return False
    date = PartialDate.parse(since)
    return date.precision != "year" and date.last_day >= _months_before(today, URGENT_MONTHS)


def abbreviations(where: str, text: str) -> list[Abbreviation]:
    """The abbreviations in `text`, with their full names where the table has them."""
    found = []
    for match in _CAPITALS.finditer(text or ""):
        short = match.group()
        if _ROMAN.match(short):
            continue
        full = ABBREVIATIONS.get(short)
        found.append(Abbreviation(where=where, short=short, full=str(full) if full else ""))
    return found


@dataclass
class _Subject:
    """One separated person, as the summary holds them."""

    summary: Summary
    separation: Summary
    member: Summary
    submitter: Submitter
    today: dt.date
    abbreviations: list[Abbreviation] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.separation["person"]

    @property
    def names(self) -> dict[str, Any]:
        return self.member["names"] or {}

    def text(self, where: str, value: str | None) -> str:
        """A free-text field of the form, checked for abbreviations."""
        value = value or ""
        self.abbreviations += abbreviations(where, value)
        return value

    @property
    def contacts(self) -> list[Summary]:
        """The government contacts about this person, and those about the whole case."""
        return [
            contact
            for contact in self.summary["government_contacts"]
            if contact["about"] in (None, self.label)
        ]

    @property
    def national_contacts(self) -> list[Summary]:
        """Contacts with the detaining State's authorities: China's."""
        return [
            contact
            for contact in self.contacts
            if _code(contact["body_kind"]) == GovernmentContact.BodyKind.CHINESE_AUTHORITIES
            or (contact["government"] or {}).get("code") == "CN"
        ]

    def contact_line(self, contact: Summary) -> str:
        body = self.text(_("Authorities contacted"), contact["body"])
        parts = [
            contact["contacted_on"] or "",
            (contact["government"] or {}).get("name", ""),
            isolate(body),
            _label(contact["direction"]),
            _label(contact["channel"]),
            contact["outcome"]["label"],
        ]
        return " · ".join(part for part in parts if part)

    @property
    def since(self) -> str:
        return self.separation["since"] or ""

    def place(self, prefecture: dict[str, str] | None, exact: str | None) -> str:
        """Exact place (internal level only), prefecture, region: as finely as held."""
        parts = [isolate(exact or ""), _label(prefecture)]
        if prefecture:
            parts.append(str(REGION))
        return ", ".join(part for part in parts if part)

    @property
    def last_seen(self) -> str:
        return self.place(
            self.separation["last_seen_prefecture"], self.separation.get("last_seen_place")
        )

    @property
    def detained_at(self) -> str:
        place = self.place(self.member["detention_prefecture"], self.member.get("place"))
        country = (self.member["country"] or {}).get("name", "")
        return ", ".join(part for part in (place, country) if part)

    @property
    def detained(self) -> bool:
        return (
            _code(self.member["condition"]) in _DETAINED
            or _code(self.separation["circumstance"]) == Separation.Circumstance.DETAINED
        )

    @property
    def imprisoned(self) -> bool:
        return _code(self.member["condition"]) == Person.Condition.IMPRISONED

    @property
    def family_consented(self) -> bool:
        return any(_code(m["consent"]) in _CONSENTED for m in self.summary["members"])


# --- The elements, and when each is missing ------------------------------------------

# (key, label, missing(subject) -> reason or None). The reason "" means simply missing.
Check = Callable[[_Subject], str | None]


def _identity(subject: _Subject) -> str | None:
    if any(subject.names.get(script) for script in ("latin", "uyghur", "chinese")):
        return None
    if not subject.member["named"]:
        return _("the person has not agreed to be named")
    return ""


def _month_and_year(subject: _Subject) -> str | None:
    if not subject.since:
        return ""
    if PartialDate.parse(subject.since).precision == "year":
        return _("only the year is recorded")
    return None


def _recorded(get: Callable[[_Subject], str]) -> Check:
    return lambda subject: None if get(subject) else ""


def _inquiries(subject: _Subject) -> str | None:
    return None if subject.contacts or subject.separation["no_inquiry_reason"] else ""


def _national_steps(subject: _Subject) -> str | None:
    if subject.national_contacts or subject.separation["no_inquiry_reason"]:
        return None
    if subject.contacts:
        return _("no contact with the Chinese authorities is recorded")
    return ""


def _submitter(subject: _Subject) -> str | None:
    if not subject.submitter.organisation:
        return _("no organisation is configured (REUNITE_ORGANISATION)")
    if not subject.submitter.name:
        return _("your account has no full name")
    return None


def _consent(subject: _Subject) -> str | None:
    return None if subject.family_consented else _("nobody on the case has given consent")


def _detention(subject: _Subject) -> str | None:
    return None if subject.detained else _("the person is not recorded as detained")


def _charge(subject: _Subject) -> str | None:
    return "" if subject.imprisoned and not subject.member["charge"] else None


def _sentence(subject: _Subject) -> str | None:
    member = subject.member
    if subject.imprisoned and member["sentence_years"] is None and not member["sentence_start"]:
        return ""
    return None


IDENTITY = ("identity", gettext_lazy("Identity: the person's full name"), _identity)
SUBMITTER = (
    "submitter",
    gettext_lazy("Identity of the person or organisation submitting"),
    _submitter,
)
CONSENT = ("consent", gettext_lazy("The family's consent to the submission"), _consent)

ELEMENTS: dict[str, tuple[tuple[str, Any, Check], ...]] = {
    WGEID: (
        IDENTITY,
        (
            "date",
            gettext_lazy("Date of the disappearance: at least the month and the year"),
            _month_and_year,
        ),
        (
            "place",
            gettext_lazy("Place of arrest or abduction, or where last seen"),
            _recorded(lambda s: s.last_seen),
        ),
        (
            "forces",
            gettext_lazy("Forces (State or State-supported) believed responsible"),
            _recorded(lambda s: s.separation["responsible_forces"]),
        ),
        (
            "action",
            gettext_lazy("Action taken to locate the person, or why none was possible"),
            _inquiries,
        ),
        SUBMITTER,
        CONSENT,
    ),
    WGAD: (
        IDENTITY,
        ("detention", gettext_lazy("The deprivation of liberty"), _detention),
        (
            "date",
            gettext_lazy("Date of the arrest or detention: at least the month and the year"),
            _month_and_year,
        ),
        (
            "ordered_by",
            gettext_lazy("The authority that ordered the detention"),
            _recorded(lambda s: s.separation["detention_ordered_by"]),
        ),
        (
            "legal_basis",
            gettext_lazy("The legal basis invoked, or that none was given"),
            _recorded(lambda s: s.separation["detention_legal_basis"]),
        ),
        ("charge", gettext_lazy("The charge"), _charge),
        ("sentence", gettext_lazy("The sentence"), _sentence),
        (
            "place_of_detention",
            gettext_lazy("The place of detention"),
            _recorded(lambda s: s.member["detention_prefecture"] or s.member.get("place")),
        ),
        (
            "steps",
            gettext_lazy("Steps taken before the national authorities, or why none were possible"),
            _national_steps,
        ),
        SUBMITTER,
        CONSENT,
    ),
}


def missing(subject: _Subject, body: str) -> tuple[Missing, ...]:
    found = []
    for key, label, check in ELEMENTS[body]:
        why = check(subject)
        if why is not None:
            found.append(Missing(key=key, label=str(label), why=why))
    return tuple(found)


# --- The form's sections -------------------------------------------------------------


def _identity_section(subject: _Subject, number: str) -> Section:
    member, names = subject.member, subject.names
    if member.get("id_number"):
        id_number = member["id_number"]
    elif member["id_number_held"]:
        id_number = _("Held by the submitting organisation, confidential")
    else:
        id_number = _("Not held")
    if member["named"]:
        rows = [
            Row(_("Full name (Latin script)"), names.get("latin", "")),
            Row(_("Full name (Uyghur)"), names.get("uyghur", ""), lang="ug"),
            Row(_("Full name (Chinese)"), names.get("chinese", ""), lang="zh"),
            Row(_("Other spellings and aliases"), "; ".join(names.get("aliases") or [])),
        ]
    else:
        rows = [
            Row(_("Referred to as"), subject.label),
            Row(_("Full name"), _("Withheld: the person has not agreed to be named")),
        ]
    if member.get("description"):
        rows.append(Row(_("Description"), member["description"]))
    born = member["born"] or ""
    if born and member["born_approximately"]:
        born = _("about %(date)s") % {"date": born}
    rows += [
        Row(_("Gender"), _label(member["gender"])),
        Row(_("Born"), born),
        Row(_("Ethnicity"), _label(member["ethnicity"])),
        Row(_("Citizenship"), (member["citizenship"] or {}).get("name", "")),
        Row(_("Identity document number"), id_number),
        Row(_("Photograph"), _("Not held: the submitting organisation keeps no photographs")),
    ]
    title = _("Identity of the person")
    return Section(number, title, tuple(rows))


def _event_rows(subject: _Subject, date_label: str) -> list[Row]:
    """When and how the disappearance or detention happened."""
    return [
        Row(date_label, subject.since),
        Row(_("How it happened"), _label(subject.separation["circumstance"])),
    ]


def _now_rows(subject: _Subject) -> list[Row]:
    member = subject.member
    return [
        Row(_("Condition now"), _label(member["condition"])),
        Row(_("Where they are"), _label(member["whereabouts"])),
        Row(_("Last contact with the family"), member["last_contact"] or ""),
    ]


def _submitter_section(subject: _Subject, number: str) -> Section:
    submitter = subject.submitter
    return Section(
        number,
        _("Identity of the person or organisation submitting"),
        (
            Row(_("Organisation"), submitter.organisation),
            Row(_("Prepared by"), submitter.name),
            Row(_("Prepared on"), subject.today.isoformat()),
        ),
        note=_("The submitter asks that its identity and the family's be kept confidential."),
    )


def _consent_section(subject: _Subject, number: str) -> Section:
    rows = tuple(
        Row(f"{m['label']} ({_label(m['role'])})", _label(m["consent"]))
        for m in subject.summary["members"]
    )
    return Section(
        number,
        _("The family's consent"),
        rows,
        note=_("Consent to publish, as each person gave it to the submitting organisation."),
    )


def _wgeid_sections(subject: _Subject) -> list[Section]:
    separation = subject.separation
    forces = subject.text(_("Forces believed responsible"), separation["responsible_forces"])
    reason = subject.text(_("Why no inquiry was possible"), separation["no_inquiry_reason"])
    return [
        _identity_section(subject, "1"),
        Section(
            "2",
            _("Date of the disappearance"),
            (*_event_rows(subject, _("Date")), *_now_rows(subject)),
        ),
        Section(
            "3",
            _("Place of arrest or abduction, or where last seen"),
            (Row(_("Place"), subject.last_seen),),
        ),
        Section(
            "4",
            _("Forces (State or State-supported) believed responsible"),
            (Row(_("Forces"), forces),),
        ),
        Section(
            "5",
            _("Action taken to locate the person"),
            (Row(_("Why no inquiry was possible"), reason),) if reason else (),
            items=tuple(subject.contact_line(c) for c in subject.contacts),
        ),
        _submitter_section(subject, "6"),
        _consent_section(subject, "7"),
    ]


def _wgad_sections(subject: _Subject) -> list[Section]:
    separation, member = subject.separation, subject.member
    ordered_by = subject.text(_("Detention ordered by"), separation["detention_ordered_by"])
    legal_basis = subject.text(_("Legal basis"), separation["detention_legal_basis"])
    forces = subject.text(_("Forces believed responsible"), separation["responsible_forces"])
    reason = subject.text(_("Why no steps were possible"), separation["no_inquiry_reason"])
    charge = subject.text(_("Charge"), member["charge"])
    national = subject.national_contacts
    others = [c for c in subject.contacts if c not in national]
    years = member["sentence_years"]
    return [
        _identity_section(subject, "1"),
        Section(
            "2",
            _("The arrest and detention"),
            (
                *_event_rows(subject, _("Date of the arrest or detention")),
                Row(_("Place of arrest"), subject.last_seen),
                Row(_("Forces who carried out the arrest"), forces),
                *_now_rows(subject),
            ),
        ),
        Section(
            "3",
            _("The authority that ordered the detention, and its legal basis"),
            (Row(_("Ordered by"), ordered_by), Row(_("Legal basis"), legal_basis)),
        ),
        Section(
            "4",
            _("Charge and sentence"),
            (
                Row(_("Charge"), charge),
                Row(_("Sentence (years)"), "" if years is None else str(years)),
                Row(_("Sentence start"), member["sentence_start"] or ""),
                Row(_("Sentence end"), member["sentence_end"] or ""),
            ),
        ),
        Section("5", _("Place of detention"), (Row(_("Place"), subject.detained_at),)),
        Section(
            "6",
            _("Steps taken before the national authorities"),
            (Row(_("Why no steps were possible"), reason),) if reason else (),
            items=tuple(subject.contact_line(c) for c in national),
        ),
        Section(
            "7",
            _("Other steps taken"),
            items=tuple(subject.contact_line(c) for c in others),
        ),
        _submitter_section(subject, "8"),
        _consent_section(subject, "9"),
    ]


def _confidential(subject: _Subject) -> tuple[str, ...]:
    """What the Working Group is asked to keep confidential."""
    items = []
    if subject.member["id_number_held"]:
        items.append(_("The identity document number"))
    if subject.separation.get("last_seen_place") or subject.member.get("place"):
        items.append(_("The exact places of arrest and of detention"))
    for member in subject.summary["members"]:
        if _code(member["consent"]) != Person.Consent.NAMED:
            items.append(
                _("The name of %(person)s, who has not agreed to be named")
                % {"person": member["label"]}
            )
    items.append(_("The identity of the submitting organisation and of the family"))
    return tuple(items)


def un_forms(summary: Summary, *, body: str, submitter: Submitter, today: dt.date) -> list[UnForm]:
    """The forms of one case for `body` (WGEID or WGAD): one per separated person whose
    separation has not ended (reunited or closed)."""
    if body not in ELEMENTS:
        raise ValueError(f"no UN form for {body!r}")
    forms = []
    for separation in summary["separations"]:
        if _code(separation["status"]) in _ENDED:
            continue
        subject = _Subject(
            summary=summary,
            separation=separation,
            member=summary["members"][separation["member"]],
            submitter=submitter,
            today=today,
        )
        sections = _wgeid_sections(subject) if body == WGEID else _wgad_sections(subject)
        forms.append(
            UnForm(
                body=body,
                reference=summary["reference"],
                person=subject.label,
                sections=tuple(sections),
                missing=missing(subject, body),
                abbreviations=tuple(_unique(subject.abbreviations)),
                confidential=_confidential(subject),
                urgent_since=subject.since if urgent(subject.since, today=today) else "",
            )
        )
    return forms


def _unique(items: Iterable[Abbreviation]) -> list[Abbreviation]:
    return list(dict.fromkeys(items))
