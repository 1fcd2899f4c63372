"""The dashboard on the admin's front page in a real browser, in English and Uyghur
(right-to-left): a caseworker's lists, each item a link to its record (a merge of two
records of one person, to the person), "and N more"
opening the family list with the same cases; a supervisor's filter by caseworker, and
the form error for one that names nobody. Every page passes axe-core under the strict
CSP, with no request to another host.

Every case and person here is fictional.
"""

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import merging
from cases.models import GovernmentContact, StatusChange
from tests.browser.test_responsiveness_in_browser import assert_clean, open_page
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    SeparationFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]

INDEX = reverse("admin:index")
SCREENSHOTS = os.environ.get("REUNITE_BROWSER_SCREENSHOT_DIR", "/tmp")
LANGUAGES = [("en", "ltr"), ("ug", "rtl")]
# A body and a person written in Uyghur script: they must not reorder their rows.
COMMITTEE = "تاشقى ئىشلار كومىتېتى"
SEPARATED = "ئابلىكىم مەمەت"


@pytest.fixture
def caseload(worker, other_worker):
    """25 cases of the caseworker with an overdue follow-up each (the first to a
    committee named in Uyghur), one separation unchanged for two years, and a case of
    another caseworker that must not appear."""
    today = timezone.localdate()
    cases = []
    for number in range(25):
        family = FamilyFactory(reference=f"F-2026-{number + 1:04d}", name=f"Sample {number}")
        family.caseworkers.add(worker)
        GovernmentContactFactory(
            family=family,
            body=COMMITTEE if number == 0 else "Department of Sample Affairs",
            body_kind=GovernmentContact.BodyKind.PARLIAMENT,
            follow_up_on=today - dt.timedelta(days=30 - number),
        )
        cases.append(family)
    separation = SeparationFactory(
        family=cases[0], person__name_latin="", person__name_uyghur=SEPARATED
    )
    StatusChange.objects.create(
        family=cases[0],
        separation=separation,
        to_status=separation.status,
        effective_on="2019",
        changed_at=timezone.now() - dt.timedelta(days=730),
    )
    elsewhere = FamilyFactory(reference="F-2026-0999")
    elsewhere.caseworkers.add(other_worker)
    GovernmentContactFactory(family=elsewhere, follow_up_on=today - dt.timedelta(days=40))
    return cases


@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_a_caseworker_reads_the_dashboard_follows_a_link_and_opens_the_rest(
    page, live_server, sign_in, worker, supervisor, caseload, language, direction
):
    kept, merged = (
        MembershipFactory(family=caseload[1], person__name_latin=name).person
        for name in ("Ablikim Qadir", "Ablekim Kadir")
    )
    merging.person_merge(kept=kept, merged=merged, actor=supervisor)
    sign_in(worker)
    hosts = open_page(page, live_server, language, INDEX)

    assert page.evaluate("document.dir") == direction
    overdue = page.locator("#dashboard-overdue")
    assert overdue.locator("tbody tr").count() == 20
    assert overdue.locator(".dashboard-count").text_content() == "25"
    assert "F-2026-0999" not in page.locator("#case-dashboard").text_content()
    # The most overdue first; the Uyghur body is whole, and the reference stays at the
    # start of its row: on the right in Uyghur, on the left in English.
    first = overdue.locator("tbody tr").first
    assert COMMITTEE in first.text_content()
    reference = first.locator("td").first.bounding_box()
    due = first.locator("td").last.bounding_box()
    assert (reference["x"] > due["x"]) == (direction == "rtl")
    stale = page.locator("#dashboard-stale")
    assert SEPARATED in stale.text_content()
    # The supervisor's merge on one of these cases: linked to the person, no name shown.
    [merge] = page.locator("#dashboard-changes tbody tr").all()
    assert "F-2026-0002" in merge.text_content()
    assert "Kadir" not in merge.text_content()
    person = reverse("admin:cases_person_change", args=[kept.pk])
    assert merge.get_by_role("link").get_attribute("href") == person
    # The dashboard sits above the app list, and is as wide as the page allows.
    dashboard_box = page.locator("#case-dashboard").bounding_box()
    app_list = page.locator("#content-main.app-list").bounding_box()
    assert dashboard_box["y"] < app_list["y"]
    page.screenshot(path=str(Path(SCREENSHOTS) / f"dashboard-{language}.png"), full_page=True)
    assert_clean(page, live_server, hosts)

    # Each item is a link to its record.
    first.locator("td").nth(1).get_by_role("link").click()
    page.wait_for_load_state("networkidle")
    contact = GovernmentContact.objects.get(body=COMMITTEE)
    assert urlsplit(page.url).path == reverse(
        "admin:cases_governmentcontact_change", args=[contact.pk]
    )

    # "and 5 more": the family list with all 25, and not the other caseworker's.
    page.goto(live_server.url + INDEX, wait_until="networkidle")
    more = page.locator("#dashboard-overdue .dashboard-more a")
    assert "5" in more.text_content()
    more.click()
    page.wait_for_load_state("networkidle")
    assert urlsplit(page.url).path == reverse("admin:cases_family_changelist")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 25
    assert "F-2026-0999" not in page.locator("#result_list").text_content()


@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_a_supervisor_filters_the_dashboard_by_caseworker_and_sees_a_bad_filter_refused(
    page, live_server, sign_in, supervisor, worker, other_worker, caseload, language, direction
):
    sign_in(supervisor)
    hosts = open_page(page, live_server, language, INDEX)
    overdue = page.locator("#dashboard-overdue")
    assert overdue.locator(".dashboard-count").text_content() == "26"  # everyone's

    page.select_option("#id_caseworker", str(other_worker.pk))
    page.locator("#dashboard-filter button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    assert page.locator("#dashboard-overdue .dashboard-count").text_content() == "1"
    assert "F-2026-0999" in page.locator("#dashboard-overdue").text_content()
    assert other_worker.username in page.locator("#case-dashboard-title").text_content()
    assert page.evaluate("document.dir") == direction
    assert_clean(page, live_server, hosts)

    page.goto(live_server.url + INDEX + "?caseworker=nobody", wait_until="networkidle")
    assert page.locator("#dashboard-filter .errornote").is_visible()
    assert page.locator("#id_caseworker").get_attribute("aria-invalid") == "true"
    assert page.locator("#dashboard-overdue .dashboard-count").text_content() == "26"
    page.screenshot(
        path=str(Path(SCREENSHOTS) / f"dashboard-filter-error-{language}.png"), full_page=True
    )
    assert_clean(page, live_server, hosts)
