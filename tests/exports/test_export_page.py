"""The staff page "Export case summaries" and the family list's action that opens it:
who may use it, what it counts, what it refuses, and what it sends.

Every person here is fictional.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse
from django.urls import reverse

from cases.accounts import state
from cases.exports import views
from cases.exports.cells import BOM
from cases.models import AuditEvent
from tests.conftest import login_verified
from tests.exports.conftest import UNCONSENTED_NAMES
from tests.factories import FamilyFactory, MembershipFactory, SeparationFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("staff:exports:page")
FAMILY_LIST = reverse("admin:cases_family_changelist")
ADVOCACY_CSV = {"level": "advocacy", "layout": "cases", "format": "csv", "export": "1"}


def case(**fields):
    """A family with one member and one separated relative: two people."""
    family = FamilyFactory(**fields)
    MembershipFactory(family=family)
    SeparationFactory(family=family)
    return family


def body(response) -> str:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode()


def actions(*kinds) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=kinds).order_by("pk"))


def recently_authenticated(client) -> None:
    session = client.session
    session[state.AUTHENTICATED_AT] = state.now()
    session.save()


# --- Who may use it -------------------------------------------------------------------


def test_staff_without_export_rights_get_403_and_the_attempt_is_logged(as_user, petition_editor):
    client = as_user(petition_editor)

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, ADVOCACY_CSV).status_code == 403

    refusals = actions(AuditEvent.Action.ACCESS_REFUSED)
    assert [event.detail for event in refusals] == ["export page", "export page"]
    assert refusals[0].actor == petition_editor
    assert not actions(AuditEvent.Action.EXPORT)


def test_a_session_without_its_second_factor_is_sent_to_log_in(client, advocate):
    client.force_login(advocate)  # password only

    response = client.post(PAGE, ADVOCACY_CSV)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))
    assert not actions(AuditEvent.Action.EXPORT)


def test_the_page_offers_only_the_levels_of_the_role(as_user, advocate, worker):
    advocate_page = as_user(advocate).get(PAGE)
    levels = [
        value for value, _label in advocate_page.context["form"].fields["level"].widget.choices
    ]
    assert levels == ["advocacy", "public"]
    assert 'value="internal"' not in advocate_page.content.decode()

    worker_page = as_user(worker).get(PAGE)
    assert 'value="internal"' in worker_page.content.decode()


def test_the_admin_links_to_the_page_for_those_who_may_export(as_user, advocate, petition_editor):
    link = f'href="{PAGE}"'

    assert link in as_user(advocate).get(reverse("admin:index")).content.decode()
    assert link not in as_user(petition_editor).get(reverse("admin:index")).content.decode()


# --- Counting -------------------------------------------------------------------------


def test_the_page_counts_the_matching_cases_and_people_among_those_the_reader_may_open(
    as_user, advocate
):
    case(host_country="BE")
    case(host_country="BE")
    case(host_country="NL")
    case(host_country="BE", restricted=True)  # an advocate cannot open it
    client = as_user(advocate)

    everything = client.get(PAGE)
    in_belgium = client.get(PAGE, {"host_country": "BE"})
    counted = client.post(PAGE, {"host_country": "BE", "count": "1"})

    assert (everything.context["cases"], everything.context["people"]) == (3, 6)
    assert (in_belgium.context["cases"], in_belgium.context["people"]) == (2, 4)
    assert (counted.context["cases"], counted.context["people"]) == (2, 4)
    assert "2 cases match" in counted.content.decode()
    assert not actions(AuditEvent.Action.EXPORT)


def test_invalid_filter_values_give_the_form_with_errors_never_a_500(as_user, advocate):
    client = as_user(advocate)
    invalid = {"opened_after": "not a date", "status": "no-such-status", "team": "abc"}

    shown = client.get(PAGE, invalid)
    exported = client.post(PAGE, {**ADVOCACY_CSV, **invalid})

    assert shown.status_code == 200
    assert shown.context["cases"] is None
    assert exported.status_code == 400
    assert set(exported.context["filter_form"].errors) == {"opened", "status", "team"}
    assert "Please correct the errors below." in exported.content.decode()
    assert not actions(AuditEvent.Action.EXPORT)


# --- The family list's action -----------------------------------------------------------


def test_the_family_list_action_opens_the_page_with_the_selected_cases(as_user, advocate):
    chosen = [case(), case()]
    case()
    client = as_user(advocate)

    response = client.post(
        FAMILY_LIST,
        {"action": "export_selected", "_selected_action": [family.pk for family in chosen]},
    )

    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.path == PAGE
    references = sorted(family.reference for family in chosen)
    assert parse_qs(url.query) == {"references": [",".join(references)]}
    page = client.get(response["Location"])
    assert page.context["cases"] == 2
    assert "Only the cases selected on the family list." in page.content.decode()


def test_a_long_selection_travels_in_the_session_not_in_the_link(as_user, advocate, monkeypatch):
    monkeypatch.setattr(views, "REFERENCES_IN_LINK", 2)
    chosen = [case(), case(), case()]
    case()
    client = as_user(advocate)

    response = client.post(
        FAMILY_LIST,
        {"action": "export_selected", "_selected_action": [family.pk for family in chosen]},
    )

    query = parse_qs(urlsplit(response["Location"]).query)
    assert list(query) == ["selection"]
    page = client.get(response["Location"])
    assert page.context["cases"] == 3
    assert "Only the 3 cases selected on the family list." in page.content.decode()
    exported = client.post(PAGE, {**ADVOCACY_CSV, "selection": query["selection"][0]})
    rows = body(exported).splitlines()
    assert sorted(row.split(",")[0] for row in rows[1:]) == sorted(f.reference for f in chosen)


def test_a_selection_the_session_no_longer_holds_says_so(as_user, advocate):
    case()
    client = as_user(advocate)

    page = client.get(PAGE, {"selection": "forgotten"})

    assert page.status_code == 200
    assert page.context["selected"] is None
    assert "no longer kept" in page.content.decode()


def test_the_action_is_not_offered_without_export_rights(client):
    reader = UserFactory(username="rafiq", is_staff=True)
    reader.user_permissions.set(
        Permission.objects.filter(codename__in=["view_family", "view_unrestricted_cases"])
    )
    login_verified(client, reader)
    family = case()

    listing = client.get(FAMILY_LIST)
    response = client.post(
        FAMILY_LIST, {"action": "export_selected", "_selected_action": [family.pk]}
    )

    assert family.reference in listing.content.decode()
    assert "export_selected" not in listing.content.decode()
    assert response.status_code == 200  # the list again: no such action
    assert not actions(AuditEvent.Action.EXPORT)


def test_the_action_cannot_widen_what_the_page_exports(as_user, advocate):
    """A crafted selection naming a case the reader cannot open exports nothing of it."""
    hidden = case(restricted=True)
    seen = case()
    client = as_user(advocate)

    exported = client.post(
        PAGE, {**ADVOCACY_CSV, "references": f"{hidden.reference},{seen.reference}"}
    )

    text = body(exported)
    assert seen.reference in text
    assert hidden.reference not in text
    assert "cases=1 " in actions(AuditEvent.Action.EXPORT)[0].detail


# --- Exporting ------------------------------------------------------------------------


def test_an_export_streams_an_attachment_no_cache_keeps_and_leaves_one_audit_row(as_user, advocate):
    family = case(host_country="BE")
    MembershipFactory(family=family, person__name_latin="Gulnar Yaqup")
    case(host_country="BE")
    case(host_country="NL")
    client = as_user(advocate)

    response = client.post(PAGE, {**ADVOCACY_CSV, "host_country": "BE", "q": "Gulnar"})

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="reunite-cases-advocacy-'
    )
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    text = body(response)
    assert text.startswith(BOM)
    (export,) = actions(AuditEvent.Action.EXPORT)
    assert export.actor == advocate
    assert "layout=cases format=csv level=advocacy cases=" in export.detail
    assert "host_country=BE" in export.detail
    assert "q=<6 characters>" in export.detail
    assert "Gulnar" not in export.detail
    assert "cases=1 people=3 " in export.detail
    assert [row.split(",")[0] for row in text.splitlines()[1:]] == [family.reference]


def test_an_advocacy_export_from_the_page_holds_no_private_field_and_no_unconsented_name(
    as_user, advocate, marked_case
):
    client = as_user(advocate)

    for fmt in ("csv", "json"):
        text = body(client.post(PAGE, {**ADVOCACY_CSV, "format": fmt}))
        assert marked_case.family.reference in text
        for marker in marked_case.markers.never + marked_case.markers.internal_only:
            assert marker not in text, (fmt, marker)
        for name in UNCONSENTED_NAMES:
            assert name.casefold() not in text.casefold(), (fmt, name)


def test_an_export_cannot_be_started_by_a_link(as_user, advocate):
    case()
    client = as_user(advocate)

    response = client.get(PAGE, ADVOCACY_CSV)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not actions(AuditEvent.Action.EXPORT)


def test_the_export_form_needs_its_csrf_token(client, advocate):
    case()
    csrf_client = type(client)(enforce_csrf_checks=True)
    login_verified(csrf_client, advocate)

    response = csrf_client.post(PAGE, ADVOCACY_CSV)

    assert response.status_code == 403
    assert not actions(AuditEvent.Action.EXPORT)


def test_a_layout_that_does_not_come_in_a_format_is_a_form_error(as_user, advocate):
    case()
    client = as_user(advocate)

    crafted = client.post(PAGE, {**ADVOCACY_CSV, "layout": "wgeid", "format": "csv"})
    unknown = client.post(PAGE, {**ADVOCACY_CSV, "format": "docx"})
    public_cases = client.post(PAGE, {**ADVOCACY_CSV, "level": "public"})

    assert crafted.status_code == unknown.status_code == public_cases.status_code == 400
    assert crafted.context["form"].errors["format"] == ["This layout does not come in this format."]
    assert "format" in unknown.context["form"].errors
    assert public_cases.context["form"].errors["format"] == [
        "Public statistics are the only export at the public level."
    ]
    assert not actions(AuditEvent.Action.EXPORT)


@pytest.mark.parametrize("level", ["internal", "secret"])
def test_a_level_beyond_the_role_is_refused_with_403_and_logged(as_user, advocate, level):
    case()
    client = as_user(advocate)

    response = client.post(PAGE, {**ADVOCACY_CSV, "level": level})

    assert response.status_code == 403
    assert "Your role may not export at this level." in response.content.decode()
    (refusal,) = actions(AuditEvent.Action.ACCESS_REFUSED)
    assert refusal.actor == advocate
    assert refusal.detail.startswith("export level=")
    assert not actions(AuditEvent.Action.EXPORT)


def test_a_selection_larger_than_the_role_allows_is_refused_clearly(
    as_user, advocate, supervisor, settings
):
    settings.EXPORT_MAX_CASES = 2
    for _ in range(3):
        case()

    refused = as_user(advocate).post(PAGE, ADVOCACY_CSV)

    assert refused.status_code == 403
    assert (
        "This selection holds 3 cases; your role may export at most 2 at once. Narrow the filters."
        in refused.content.decode()
    )
    assert len(actions(AuditEvent.Action.ACCESS_REFUSED)) == 1
    # Supervisors have no limit.
    assert as_user(supervisor).post(PAGE, ADVOCACY_CSV).status_code == 200


# --- Internal exports -----------------------------------------------------------------


def test_an_internal_export_asks_for_a_recent_reauthentication_then_brings_back_the_choices(
    as_user, worker
):
    family = case()
    family.caseworkers.add(worker)
    client = as_user(worker)
    choices = {
        "level": "internal",
        "layout": "people",
        "format": "xlsx",
        "encrypt": "on",
        "host_country": "AU",
        "opened_after": "2020-01-01",
    }

    response = client.post(PAGE, {**choices, "passphrase": "river lantern copper", "export": "1"})

    assert response.status_code == 302
    confirm = urlsplit(response["Location"])
    assert confirm.path == reverse("staff:exports:reauthenticated")
    assert {key: values[0] for key, values in parse_qs(confirm.query).items()} == choices
    to_reauthenticate = client.get(response["Location"])
    assert urlsplit(to_reauthenticate["Location"]).path == reverse("staff:reauthenticate")
    assert not actions(AuditEvent.Action.EXPORT)

    recently_authenticated(client)  # what the re-authentication page records
    back = client.get(response["Location"], follow=True)

    assert back.redirect_chain[-1][0] == f"{PAGE}?{confirm.query}"
    form = back.context["form"]
    assert {key: form[key].value() for key in ("level", "layout", "format")} == {
        "level": "internal",
        "layout": "people",
        "format": "xlsx",
    }
    assert back.context["filter_form"]["host_country"].value() == ["AU"]
    assert 'value="internal" class="radiolist" maxlength="20" required id="id_level_0" checked' in (
        back.content.decode()
    )
    exported = client.post(PAGE, {**choices, "passphrase": "river lantern copper", "export": "1"})
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/zip"


def test_an_internal_export_is_always_encrypted(as_user, worker):
    case().caseworkers.add(worker)
    client = as_user(worker)
    recently_authenticated(client)

    response = client.post(PAGE, {**ADVOCACY_CSV, "level": "internal"})

    assert response.status_code == 400
    assert response.context["form"].errors["passphrase"] == [
        "Internal exports are always encrypted: choose a passphrase."
    ]
    assert not actions(AuditEvent.Action.EXPORT)
