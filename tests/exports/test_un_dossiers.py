"""The submissions shaped for UN bodies (layouts "wgeid" and "wgad", PDF): one form per
separated person; the cover lists, per person, exactly what the case still lacks
("missing before submission"), marks a disappearance of the last three months for the
urgent procedure, and flags abbreviations to write out in full. An advocate's form
shows the prefecture, never the exact place, and says an identity number is held
without giving it. All the people here are fictional."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.exports import un
from cases.exports.dossiers import dossier_pdf, submitter
from cases.exports.levels import Level
from cases.exports.service import export_cases
from cases.models import Family, GovernmentContact, Membership, Person, Separation
from cases.partial_dates import PartialDate
from tests.exports.conftest import UNCONSENTED_NAMES, consent, summaries, summary_of
from tests.exports.test_dossiers import flat, nfkc, page_texts
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
)
from tests.test_delivery_pack import pdf_fonts
from tests.test_delivery_pack import pdf_text as raw_pdf_text

pytestmark = pytest.mark.django_db

# A fictional disappeared man and his fictional sister abroad.
LATIN, UYGHUR, CHINESE = "Erkin Tursun", "ئەركىن تۇرسۇن", "艾尔肯·吐尔逊"
FORCES = "Kashgar Prefecture Public Security Bureau"
ID_NUMBER = "zqxidcardmarker653101"
EXACT_PLACE = "zqxexactplacemarker checkpoint"

WGEID_LABELS = {key: str(label) for key, label, _check in un.ELEMENTS[un.WGEID]}
WGAD_LABELS = {key: str(label) for key, label, _check in un.ELEMENTS[un.WGAD]}


@pytest.fixture
def reporter(advocate):
    """The advocate who submits, under her full name."""
    advocate.first_name, advocate.last_name = "Ava", "Exampleton"
    advocate.save()
    return advocate


def disappeared(
    *,
    since: str = "2019-04",
    forces: str = FORCES,
    contact: bool = True,
    person_consent: str = Person.Consent.NAMED,
    separation: dict | None = None,
    **person_fields,
) -> Separation:
    """A man separated from his sister abroad, detained at a Kashgar checkpoint, with
    every WGEID element recorded unless a keyword leaves one out."""
    family = FamilyFactory(name="Tursun", host_country="BE")
    sister = PersonFactory(name_latin="Mahire Tursun", whereabouts=Person.Whereabouts.ABROAD)
    consent(sister, Person.Consent.NAMED)
    MembershipFactory(family=family, person=sister, role=Membership.Role.SIBLING)
    person = PersonFactory(
        name_latin=LATIN,
        name_uyghur=UYGHUR,
        name_chinese=CHINESE,
        condition=Person.Condition.DETAINED_IN_CAMP,
        id_number=ID_NUMBER,
        **person_fields,
    )
    if person_consent != Person.Consent.NONE:
        consent(person, person_consent)
    MembershipFactory(family=family, person=person, role=Membership.Role.SIBLING)
    separated = SeparationFactory(
        family=family,
        person=person,
        since=since,
        **{
            "circumstance": Separation.Circumstance.DETAINED,
            "last_seen_place": EXACT_PLACE,
            "last_seen_prefecture": "kashgar",
            "responsible_forces": forces,
            **(separation or {}),
        },
    )
    if contact:
        GovernmentContactFactory(
            family=family, separation=separated, body="Ministry of Foreign Affairs of Belgium"
        )
    return separated


def forms(separation: Separation, layout: str, user, level: Level = Level.ADVOCACY):
    return un.un_forms(
        summary_of(separation.family, level),
        body=layout,
        submitter=submitter(user),
        today=timezone.localdate(),
    )


def only_form(separation: Separation, layout: str, user, level: Level = Level.ADVOCACY):
    (form,) = forms(separation, layout, user, level)
    return form


def pdf_text(body: bytes) -> str:
    return flat(raw_pdf_text(body))


def pdf(families, layout: str, user, level: Level = Level.ADVOCACY) -> bytes:
    return dossier_pdf(summaries(families, level), layout=layout, level=level, user=user)


def cover(separation: Separation, layout: str, user, level: Level = Level.ADVOCACY) -> str:
    families = Family.objects.filter(pk=separation.family_id)
    return page_texts(pdf(families, layout, user, level))[0]


# --- WGEID: what is missing before submission --------------------------------------------


def test_a_complete_wgeid_case_lists_nothing_missing(reporter):
    separation = disappeared()

    assert only_form(separation, un.WGEID, reporter).missing == ()
    page = cover(separation, un.WGEID, reporter)
    assert "Nothing missing" in page
    assert [label for label in WGEID_LABELS.values() if label in page] == []


def test_a_case_without_forces_or_any_contact_lists_exactly_those_two_as_missing(reporter):
    separation = disappeared(forces="", contact=False)

    assert only_form(separation, un.WGEID, reporter).missing_keys == ["forces", "action"]
    page = cover(separation, un.WGEID, reporter)
    listed = [key for key, label in WGEID_LABELS.items() if label in page]
    assert listed == ["forces", "action"]
    assert "Nothing missing" not in page


def test_why_no_inquiry_was_possible_stands_in_for_the_inquiries(reporter):
    separation = disappeared(
        contact=False,
        separation={"no_inquiry_reason": "The family was warned not to ask the police."},
    )

    form = only_form(separation, un.WGEID, reporter)

    assert form.missing == ()
    assert "The family was warned not to ask the police." in pdf_text(
        pdf(Family.objects.all(), un.WGEID, reporter)
    )


def test_a_disappearance_known_only_to_the_year_lacks_its_month(reporter):
    separation = disappeared(since="2019")

    (missing,) = only_form(separation, un.WGEID, reporter).missing

    assert (missing.key, missing.why) == ("date", "only the year is recorded")


def test_an_unconsented_person_lacks_a_name_for_the_advocate_but_not_internally(
    reporter, supervisor
):
    separation = disappeared(person_consent=Person.Consent.NONE)

    advocacy = only_form(separation, un.WGEID, reporter)
    internal = only_form(separation, un.WGEID, supervisor, Level.INTERNAL)

    assert advocacy.missing_keys == ["identity"]
    assert advocacy.missing[0].why == "the person has not agreed to be named"
    assert "identity" not in internal.missing_keys


def test_a_staff_member_without_a_full_name_is_missing_as_the_submitter(advocate):
    separation = disappeared()

    assert only_form(separation, un.WGEID, advocate).missing_keys == ["submitter"]


def test_nobody_on_the_case_consenting_is_missing_the_familys_consent(supervisor):
    separation = disappeared(person_consent=Person.Consent.NONE)
    Person.objects.filter(name_latin="Mahire Tursun").update(
        consent=Person.Consent.NONE, consent_recorded_at=None
    )
    supervisor.first_name, supervisor.last_name = "Sara", "Exampledottir"

    form = only_form(separation, un.WGEID, supervisor, Level.INTERNAL)

    assert form.missing_keys == ["consent"]


# --- The urgent procedure and abbreviations ---------------------------------------------


def test_a_disappearance_in_the_last_three_months_is_marked_urgent_on_the_cover(reporter):
    recent = timezone.localdate() - dt.timedelta(days=20)
    separation = disappeared(since=str(PartialDate(recent.year, recent.month)))

    assert only_form(separation, un.WGEID, reporter).urgent_since
    assert "Urgent procedure" in cover(separation, un.WGEID, reporter)


def test_an_old_disappearance_is_not_marked_urgent(reporter):
    separation = disappeared(since="2019-04")

    assert only_form(separation, un.WGEID, reporter).urgent_since == ""
    assert "Urgent procedure" not in pdf_text(pdf(Family.objects.all(), un.WGEID, reporter))


def test_urgency_counts_three_calendar_months_back_at_the_dates_precision():
    today = dt.date(2026, 5, 31)

    assert un.urgent("2026-02-28", today=today)
    assert not un.urgent("2026-02-27", today=today)
    assert un.urgent("2026-02", today=today)  # the month reaches into the three months
    assert not un.urgent("2026-01", today=dt.date(2026, 5, 1))
    assert not un.urgent("2026", today=today)  # the year alone cannot tell
    assert not un.urgent(None, today=today)


def test_abbreviations_are_flagged_on_the_cover_with_their_full_names(reporter):
    separation = disappeared(forces="Aksu PSB and XPCC militia")

    form = only_form(separation, un.WGEID, reporter)
    page = cover(separation, un.WGEID, reporter)

    assert [(a.short, a.full) for a in form.abbreviations] == [
        ("PSB", "Public Security Bureau"),
        ("XPCC", "Xinjiang Production and Construction Corps"),
    ]
    assert "“PSB” in Forces believed responsible: write “Public Security Bureau”" in page
    assert form.missing == ()  # the forces are recorded, only abbreviated


def test_an_unknown_abbreviation_is_flagged_without_a_guess_and_roman_numerals_are_not():
    found = un.abbreviations("Legal basis", "Article III of the KXQ regulations")

    assert [(a.short, a.full) for a in found] == [("KXQ", "")]


# --- What each level shows --------------------------------------------------------------


def test_an_advocates_form_shows_the_prefecture_and_says_the_id_number_is_held(reporter):
    disappeared()

    text = pdf_text(pdf(Family.objects.all(), un.WGEID, reporter))

    assert "Kashgar (Kashi) Prefecture, Xinjiang Uyghur Autonomous Region" in text
    assert "Held by the submitting organisation, confidential" in text
    assert ID_NUMBER not in text
    assert "zqxexactplacemarker" not in text


def test_an_internal_form_gives_the_id_number_and_the_exact_place(supervisor):
    disappeared()

    text = pdf_text(pdf(Family.objects.all(), un.WGEID, supervisor, Level.INTERNAL))

    assert ID_NUMBER in text
    assert "zqxexactplacemarker" in text
    assert "Internal — confidential" in text


@pytest.mark.parametrize("layout", [un.WGEID, un.WGAD])
def test_an_advocacy_submission_holds_no_private_field_and_no_unconsented_name(
    marked_case, reporter, layout
):
    text = pdf_text(pdf(Family.objects.all(), layout, reporter)).casefold()
    markers = marked_case.markers

    assert [m for m in markers.internal_only + markers.never if m.casefold() in text] == []
    assert [word for word in UNCONSENTED_NAMES if nfkc(word).casefold() in text] == []
    assert "advocacy summary — names only with consent" in text


def test_the_form_prints_uyghur_and_chinese_names_in_embedded_noto_fonts(reporter):
    disappeared()

    body = pdf(Family.objects.all(), un.WGEID, reporter)
    text = pdf_text(body)
    fonts = pdf_fonts(body)

    assert nfkc(UYGHUR) in text
    assert CHINESE in text
    assert any("Noto" in font and "Arabic" in font for font in fonts), fonts
    assert any("Noto" in font and "CJK" in font for font in fonts), fonts


def test_the_submitter_is_the_organisation_and_the_staff_members_full_name(reporter, settings):
    settings.REUNITE_ORGANISATION = "Reunite Example Association"
    disappeared()

    text = pdf_text(pdf(Family.objects.all(), un.WGEID, reporter))

    assert "Reunite Example Association" in text
    assert "Ava Exampleton" in text


def test_each_separated_person_has_a_form_and_an_ended_separation_none(reporter):
    separation = disappeared()
    brother = PersonFactory(name_latin="Alim Tursun")
    consent(brother, Person.Consent.NAMED)
    SeparationFactory(family=separation.family, person=brother, since="2018-07")
    reunited = PersonFactory(name_latin="Nurgul Tursun")
    SeparationFactory(
        family=separation.family,
        person=reunited,
        since="2018-07",
        status=Separation.Status.REUNITED,
    )

    people = [form.person for form in forms(separation, un.WGEID, reporter)]

    assert len(people) == 2
    assert "Nurgul Tursun" not in " ".join(people)


def test_the_export_service_makes_the_wgeid_submission_for_an_advocate(reporter):
    disappeared(forces="", contact=False)

    export = export_cases(
        user=reporter,
        level=Level.ADVOCACY,
        layout="wgeid",
        fmt="pdf",
        families=Family.objects.all(),
    )
    text = pdf_text(b"".join(export.chunks))

    assert export.filename.endswith(".pdf")
    assert WGEID_LABELS["forces"] in text
    assert WGEID_LABELS["action"] in text


# --- WGAD -------------------------------------------------------------------------------


def imprisoned(**separation) -> Separation:
    """Sentenced, held in a Hotan prison, its order and legal basis recorded, and asked
    about at the prefecture's police: every WGAD element, unless a keyword clears one."""
    fields = {
        "detention_ordered_by": "Hotan Prefecture Intermediate People's Court",
        "detention_legal_basis": "Criminal Law of the People's Republic of China, art. 120",
        **separation,
    }
    detained = disappeared(
        contact=False,
        separation=fields,
        charge="Inciting ethnic hatred",
        sentence_years=15,
        detention_place_prefecture="hotan",
        location_country="CN",
    )
    Person.objects.filter(pk=detained.person_id).update(condition=Person.Condition.IMPRISONED)
    GovernmentContactFactory(
        family=detained.family,
        separation=detained,
        government="CN",
        body_kind=GovernmentContact.BodyKind.CHINESE_AUTHORITIES,
        body="Hotan Prefecture Public Security Bureau",
    )
    return detained


def test_a_complete_wgad_case_lists_nothing_missing(reporter):
    separation = imprisoned()

    assert only_form(separation, un.WGAD, reporter).missing == ()
    text = pdf_text(pdf(Family.objects.all(), un.WGAD, reporter))
    assert "Hotan (Khotan) Prefecture, Xinjiang Uyghur Autonomous Region, China" in text
    assert "Inciting ethnic hatred" in text


def test_a_camp_detention_without_order_basis_or_steps_in_china_lists_exactly_those(
    reporter,
):
    separation = disappeared(detention_place_prefecture="aksu")  # a contact in Belgium only

    form = only_form(separation, un.WGAD, reporter)
    page = cover(separation, un.WGAD, reporter)

    assert form.missing_keys == ["ordered_by", "legal_basis", "steps"]
    assert [key for key, label in WGAD_LABELS.items() if label in page] == [
        "ordered_by",
        "legal_basis",
        "steps",
    ]


def test_an_imprisoned_person_without_a_charge_or_sentence_lacks_both(reporter):
    separation = imprisoned()
    Person.objects.filter(pk=separation.person_id).update(charge="", sentence_years=None)

    assert only_form(separation, un.WGAD, reporter).missing_keys == ["charge", "sentence"]


def test_a_person_not_recorded_as_detained_lacks_the_detention_itself(reporter):
    separation = imprisoned(circumstance=Separation.Circumstance.EXIT_BLOCKED)
    Person.objects.filter(pk=separation.person_id).update(condition=Person.Condition.AT_HOME)

    assert only_form(separation, un.WGAD, reporter).missing_keys == ["detention"]


# --- Where the fields are recorded ------------------------------------------------------


def test_a_caseworker_records_the_un_fields_in_the_admin_and_an_advocate_sees_no_private_one(
    caseworker, caseworker_client, admin_form, as_user, advocate
):
    family = services.family_create(family=Family(name="Tursun"), actor=caseworker)
    person = PersonFactory(name_latin=LATIN)
    services.separation_create(
        separation=Separation(family=family, person=person, circumstance="detained", since="2019"),
        actor=caseworker,
    )
    url = reverse("admin:cases_family_change", args=[family.pk])
    data = admin_form(caseworker_client.get(url))
    data |= {
        "separations-0-last_seen_place": EXACT_PLACE,
        "separations-0-last_seen_prefecture": "kashgar",
        "separations-0-responsible_forces": FORCES,
        "separations-0-detention_ordered_by": "Kashgar Prefecture Public Security Bureau",
        "separations-0-detention_legal_basis": "None given",
        "separations-0-no_inquiry_reason": "The family was warned not to ask.",
    }
    assert caseworker_client.post(url, data).status_code == 302
    person_url = reverse("admin:cases_person_change", args=[person.pk])
    data = admin_form(caseworker_client.get(person_url))
    data |= {"id_number": ID_NUMBER, "detention_place_prefecture": "aksu"}
    assert caseworker_client.post(person_url, data).status_code == 302

    separation = Separation.objects.get()
    person.refresh_from_db()
    assert (separation.last_seen_place, separation.last_seen_prefecture) == (EXACT_PLACE, "kashgar")
    assert separation.responsible_forces == FORCES
    assert separation.no_inquiry_reason == "The family was warned not to ask."
    assert (person.id_number, person.detention_place_prefecture) == (ID_NUMBER, "aksu")

    advocate_client = as_user(advocate)
    pages = [
        advocate_client.get(url).content.decode(),
        advocate_client.get(person_url).content.decode(),
        advocate_client.get(
            reverse("admin:cases_separation_change", args=[separation.pk])
        ).content.decode(),
    ]
    assert not [page for page in pages if ID_NUMBER in page or "zqxexactplacemarker" in page]
    assert "Kashgar (Kashi) Prefecture" in pages[2]
