"""A case with four children, entered through the admin in a real browser (issue 7):
the family with a back-dated status, the children in one step with the separation and
the condition they share, then a contact known only to the month about one of them.
The family page must then tell the story in order, at the precision it is known.

The family and the people are fictional."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cases.models import Family, GovernmentContact, Person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

CHILDREN = """Ayshe Tohti, about 2009
Ekrem Tohti, 2011-04
Nurgul Tohti, 10 years old in 2021
(son of Erkin)"""


@pytest.fixture
def admin_page(page, live_server, sign_in, caseworker):
    """The browser, signed in as a caseworker, with its console errors recorded."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    # The site has no favicon, which Chromium asks for after some navigations: its 404
    # would be the only console error, and none of this test's business.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    sign_in(caseworker)
    return page, errors


def save_and_continue(page) -> None:
    with page.expect_navigation():
        page.locator("input[name=_continue]").click()


def timeline_rows(page) -> list[tuple[str, str, str]]:
    """(kind, when, what) of each timeline row, newest first, as shown."""
    rows = page.locator(".timeline tbody tr")
    return [
        (
            rows.nth(i).get_attribute("class").removeprefix("timeline-"),
            rows.nth(i).locator("td").nth(0).inner_text(),
            rows.nth(i).locator("td").nth(1).inner_text(),
        )
        for i in range(rows.count())
    ]


def test_a_multi_child_case_is_entered_in_few_steps_and_its_timeline_reads_in_order(
    admin_page, live_server
):
    page, errors = admin_page

    # The family, with the status it reached in March 2018.
    page.goto(live_server.url + reverse("admin:cases_family_add"))
    page.fill("#id_name", "Tohti")
    page.select_option("#id_status", "active")
    page.fill("#id_status_effective_on", "2018-03")
    save_and_continue(page)
    family = Family.objects.get(name="Tohti")
    assert urlsplit(page.url).path == reverse("admin:cases_family_change", args=[family.pk])

    # The four children in one step: separated together, in one orphanage since 2018-09.
    with page.expect_navigation():
        page.get_by_role("link", name="Add several people").click()
    page.fill("#id_people", CHILDREN)
    page.select_option("#id_circumstance", "detained")
    page.fill("#id_since", "2017-05")
    page.select_option("#id_status", "verified")
    page.fill("#id_status_effective_on", "2018")
    page.select_option("#id_condition", "state_care")
    page.select_option("#id_whereabouts", "uyghur_region")
    page.fill("#id_condition_effective_on", "2018-09")
    page.fill("#id_condition_source", "Testimony of an aunt")
    with page.expect_navigation():
        page.get_by_role("button", name="Add these people").click()
    assert page.locator(".messagelist").inner_text().startswith("4 people were added to")

    # A contact of June 2019 about one of the children, chosen by name.
    contacts = page.locator("#government_contacts-group")
    contacts.locator(".add-row a").click()
    page.fill("#id_government_contacts-0-contacted_on", "2019-06")
    page.select_option("#id_government_contacts-0-direction", "we_asked")
    page.select_option("#id_government_contacts-0-channel", "letter")
    page.select_option("#id_government_contacts-0-body_kind", "foreign_ministry")
    page.fill("#id_government_contacts-0-body", "Ministry of Foreign Affairs")
    page.fill("#id_government_contacts-0-summary", "Asked where the four children are.")
    contacts.locator(".field-separated_person .select2-selection").click()
    page.locator(".select2-search--dropdown .select2-search__field").fill("Ayshe")
    page.locator(".select2-results__option", has_text="Ayshe Tohti").click()
    save_and_continue(page)
    assert page.locator(".errornote").count() == 0
    ayshe = Person.objects.get(name_latin="Ayshe Tohti")
    assert GovernmentContact.objects.get().separation == ayshe.separations.get()

    today = date_format(timezone.localdate(), "DATE_FORMAT")
    rows = timeline_rows(page)
    assert [(kind, when.splitlines()[0]) for kind, when, _what in rows] == [
        ("contact", "June 2019"),
        *[("status", "2018")] * 4,  # known to the year: after the dated items of 2018
        *[("condition", "September 2018")] * 4,
        ("status", "March 2018"),
        *[("separation", "May 2017")] * 4,
    ]
    case_status = rows[9]
    assert case_status[1] == f"March 2018\nrecorded {today}"
    assert case_status[2] == "Case: Active\nalice"  # and who recorded it
    assert {what.splitlines()[0] for kind, _when, what in rows if kind == "status"} >= {
        "\u2068Ayshe Tohti\u2069: Verified",
        "\u2068son of Erkin\u2069: Verified",
    }
    assert errors == []
