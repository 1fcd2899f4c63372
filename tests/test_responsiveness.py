"""How governments answer (cases/responsiveness.py): every figure checked against a
fixture computed by hand, small counts suppressed for advocates and exact for
supervisors, a fixed number of queries, and the page's refusals and form errors.

Every government body here is real in name only; every case and request is fictional.
"""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import responsiveness
from cases.models import AuditEvent, GovernmentContact
from tests.factories import FamilyFactory, GovernmentContactFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("staff:responsiveness")
TODAY = dt.date(2025, 6, 30)
PAST = dt.date(2024, 12, 1)  # follow-ups due before TODAY
LATER = dt.date(2099, 1, 1)  # follow-ups not yet due
WE_ASKED = GovernmentContact.Direction.WE_ASKED
THEY_STATED = GovernmentContact.Direction.THEY_STATED
Kind = GovernmentContact.BodyKind

BE_MINISTRY = ("BE", Kind.FOREIGN_MINISTRY, "Federal Public Service Foreign Affairs")
BE_COMMITTEE = ("BE", Kind.PARLIAMENT, "Committee on External Relations")
NL_JUSTICE = ("NL", Kind.HOME_AFFAIRS, "Ministry of Justice and Security")
UN_WGEID = ("", Kind.UN_BODY, "Working Group on Enforced or Involuntary Disappearances")


def request(family, body, contacted_on, response_on="", follow_up_on=None, **extra):
    government, body_kind, name = body
    return GovernmentContactFactory(
        family=family,
        government=government,
        body_kind=body_kind,
        body=name,
        contacted_on=contacted_on,
        response_on=response_on,
        follow_up_on=follow_up_on,
        **extra,
    )


@pytest.fixture
def requests_by_hand():
    """The figures, worked out by hand:

    BE ministry, 7 requests on a case in Australia: answered after 10, 30 (2024 is a
    leap year: 1 Feb to 2 Mar) and 4 days; one answered but asked in "2024-04" only
    (untimed); one unanswered past its follow-up, one not yet due, one with none.
    Median of 4, 10, 30 = 10. Rate 4/7. A statement the ministry made unasked is not
    a request.
    BE committee, 2 requests: 5 and 7 days. Median 6.
    NL justice, 6 requests on a case in Türkiye, answered after 2, 3, 5, 8, 13, 21 days:
    median (5 + 8) / 2 = 6.5; plus, on a restricted case the advocate cannot open, one
    answered after 100 days: for supervisors 7 requests, median 8.
    The UN working group, 5 requests (no government), none answered, all past follow-up.
    """
    australia = FamilyFactory(host_country="AU")
    turkiye = FamilyFactory(host_country="TR")
    hidden = FamilyFactory(host_country="TR", restricted=True)

    request(australia, BE_MINISTRY, "2024-01-10", "2024-01-20")
    request(australia, BE_MINISTRY, "2024-02-01", "2024-03-02")
    request(australia, BE_MINISTRY, "2024-03-05", "2024-03-09")
    request(australia, BE_MINISTRY, "2024-04", "2024-05-02")
    request(australia, BE_MINISTRY, "2024-05-01", follow_up_on=dt.date(2024, 6, 1))
    request(australia, BE_MINISTRY, "2024-06-01", follow_up_on=LATER)
    request(australia, BE_MINISTRY, "2024-06-02")
    request(australia, BE_MINISTRY, "2024-02-10", "2024-02-10", direction=THEY_STATED)

    request(australia, BE_COMMITTEE, "2024-05-10", "2024-05-15")
    request(australia, BE_COMMITTEE, "2024-07-01", "2024-07-08")

    for day, days in zip(range(1, 7), [21, 2, 13, 3, 8, 5], strict=True):
        asked = dt.date(2024, 9, day)
        request(turkiye, NL_JUSTICE, asked.isoformat(), str(asked + dt.timedelta(days=days)))
    request(hidden, NL_JUSTICE, "2024-01-02", "2024-04-11")  # 100 days (leap year)

    for day in range(1, 6):
        request(turkiye, UN_WGEID, f"2024-10-{day:02d}", follow_up_on=PAST)


def figures(user, **filters):
    requests = responsiveness.requests_for(user=user, **filters)
    return {
        (row.government, row.body_kind, row.body): (
            row.requests,
            row.answered,
            row.timed,
            row.untimed,
            row.overdue,
            row.median_days,
        )
        for row in responsiveness.responsiveness(requests=requests, today=TODAY)
    }


def test_every_figure_matches_the_hand_computed_fixture_for_a_supervisor(
    supervisor, requests_by_hand
):
    # (requests, answered, timed, untimed, overdue, median days)
    assert figures(supervisor) == {
        BE_MINISTRY: (7, 4, 3, 1, 1, 10.0),
        BE_COMMITTEE: (2, 2, 2, 0, 0, 6.0),
        NL_JUSTICE: (7, 7, 7, 0, 0, 8.0),
        UN_WGEID: (5, 0, 0, 0, 5, None),
    }


def test_an_advocate_counts_only_the_cases_they_may_open(advocate, requests_by_hand):
    assert figures(advocate)[NL_JUSTICE] == (6, 6, 6, 0, 0, 6.5)


def test_the_totals_match_the_hand_computed_fixture(supervisor, requests_by_hand):
    requests = responsiveness.requests_for(user=supervisor)
    total = responsiveness.totals(requests=requests, today=TODAY)
    # Timed answers, sorted: 2 3 4 5 5 7 | 8 10 13 21 30 100: median (7 + 8) / 2.
    assert (total.requests, total.answered, total.timed, total.overdue) == (21, 13, 12, 6)
    assert total.median_days == 7.5
    assert responsiveness.percent(total.response_rate) == "62%"


def test_the_rows_come_sorted_by_government_name_then_body(supervisor, requests_by_hand):
    requests = responsiveness.requests_for(user=supervisor)
    rows = responsiveness.responsiveness(requests=requests, today=TODAY)
    assert [row.body for row in rows] == [
        BE_COMMITTEE[2],
        BE_MINISTRY[2],
        NL_JUSTICE[2],
        UN_WGEID[2],
    ]


def test_the_host_country_filter_counts_only_cases_living_there(supervisor, requests_by_hand):
    assert figures(supervisor, host_country="TR") == {
        NL_JUSTICE: (7, 7, 7, 0, 0, 8.0),
        UN_WGEID: (5, 0, 0, 0, 5, None),
    }


def test_the_period_counts_a_month_only_request_whose_month_overlaps_it(
    supervisor, requests_by_hand
):
    # From 15 April: the "2024-04" request counts, those of January to March do not.
    assert figures(supervisor, start=dt.date(2024, 4, 15), end=dt.date(2024, 6, 30)) == {
        BE_MINISTRY: (4, 1, 0, 1, 1, None),
        BE_COMMITTEE: (1, 1, 1, 0, 0, 5.0),
    }
    # Up to 14 March: the "2024-04" one does not.
    assert figures(supervisor, end=dt.date(2024, 3, 14)) == {
        BE_MINISTRY: (3, 3, 3, 0, 0, 10.0),
        NL_JUSTICE: (1, 1, 1, 0, 0, 100.0),
    }


def test_a_request_answered_on_a_month_only_date_is_answered_but_untimed(supervisor):
    family = FamilyFactory()
    request(family, BE_MINISTRY, "2024-03-01", "2024-04")
    request(family, BE_MINISTRY, "2024", "2024-02-01")
    assert figures(supervisor) == {BE_MINISTRY: (2, 2, 0, 2, 0, None)}


# --- What each reader is shown --------------------------------------------------------


def shown(user, **filters):
    requests = responsiveness.requests_for(user=user, **filters)
    rows = responsiveness.responsiveness(requests=requests, today=TODAY)
    exact = responsiveness.sees_exact_figures(user)
    return {
        (row.row.government, row.row.body_kind, row.row.body): (
            row.requests,
            row.answered,
            row.rate,
            row.median,
            row.timed,
            row.overdue,
        )
        for row in responsiveness.shown_rows(rows, exact=exact)
    }


def test_a_supervisor_sees_every_figure_exact(supervisor, requests_by_hand):
    # (requests, answered, rate, median, timed, overdue)
    assert shown(supervisor) == {
        BE_MINISTRY: ("7", "4", "57%", "10", "3", "1"),
        BE_COMMITTEE: ("2", "2", "100%", "6", "2", "0"),
        NL_JUSTICE: ("7", "7", "100%", "8", "7", "0"),
        UN_WGEID: ("5", "0", "0%", "—", "0", "5"),
    }


def test_an_advocate_sees_small_counts_as_under_five_and_nothing_that_gives_them_back(
    advocate, requests_by_hand
):
    assert shown(advocate) == {
        # 4 answered, 3 not: both small, so no rate; 3 timed: no median.
        BE_MINISTRY: ("7", "<5", "—", "—", "—", "<5"),
        # Fewer than 5 requests: nothing else.
        BE_COMMITTEE: ("<5", "—", "—", "—", "—", "—"),
        NL_JUSTICE: ("6", "6", "100%", "6.5", "—", "0"),
        UN_WGEID: ("5", "0", "0%", "—", "—", "5"),
    }


def test_an_advocate_sees_no_rate_when_the_unanswered_are_few(advocate):
    family = FamilyFactory()
    for day in range(1, 8):  # 7 requests, 5 answered after a day, 2 not
        answered = f"2024-03-{day + 1:02d}" if day <= 5 else ""
        request(family, BE_MINISTRY, f"2024-03-{day:02d}", answered)
    # 5 answered and 7 requests would give back the 2 unanswered.
    assert shown(advocate) == {BE_MINISTRY: ("7", "—", "—", "1", "—", "0")}


def test_the_untimed_answers_are_counted_on_the_page_suppressed_for_advocates(
    supervisor, advocate, requests_by_hand
):
    for user, expected in [(supervisor, "1"), (advocate, "<5")]:
        requests = responsiveness.requests_for(user=user)
        rows = responsiveness.responsiveness(requests=requests, today=TODAY)
        exact = responsiveness.sees_exact_figures(user)
        assert responsiveness.shown_untimed(rows, exact=exact) == expected


# --- The page -------------------------------------------------------------------------


def cells(response):
    """The table's body rows as lists of cell texts."""
    content = response.content.decode()
    body = content.split('<table id="responsiveness">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    return [
        [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


def test_the_advocate_page_shows_the_suppressed_figures_and_no_totals(
    as_user, advocate, requests_by_hand
):
    response = as_user(advocate).get(PAGE)
    assert response.status_code == 200
    rows = cells(response)
    assert rows[1] == [
        "Belgium",
        "Federal Public Service Foreign Affairs Ministry of Foreign Affairs",
        "7",
        "<5",
        "—",
        "—",
        "<5",
    ]
    assert rows[2][2:] == ["6", "6", "100%", "6.5", "0"]
    content = response.content.decode()
    assert "<tfoot>" not in content
    assert "All governments and bodies" not in content
    assert "In the median" not in content


def test_the_supervisor_page_shows_exact_figures_totals_and_the_chart(
    as_user, supervisor, requests_by_hand
):
    response = as_user(supervisor).get(PAGE)
    assert response.status_code == 200
    assert cells(response)[1][2:] == ["7", "4", "57%", "10", "3", "1"]
    content = response.content.decode()
    assert "All governments and bodies" in content
    svg = content.split('<svg role="img"', 1)[1].split("</svg>", 1)[0]
    assert "<title" in svg
    # A bar for each rate, scaled to 560 for 100%: 4/7 of it is 320.
    assert svg.count('class="chart-bar"') == 4
    assert 'width="320" height="14" class="chart-bar"' in svg
    assert "style=" not in content.split("<body", 1)[1]


def test_the_page_filters_by_host_country_and_period(as_user, supervisor, requests_by_hand):
    client = as_user(supervisor)
    response = client.get(PAGE, {"host_country": "TR", "start": "2024-09-01", "end": ""})
    assert response.status_code == 200
    assert [row[1] for row in cells(response)] == [
        f"{NL_JUSTICE[2]} Home affairs or immigration",
        f"{UN_WGEID[2]} United Nations body",
    ]
    assert cells(response)[0][2:] == ["6", "6", "100%", "6.5", "6", "0"]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2024-13-45"},
        {"end": "yesterday"},
        {"start": "2024-06-01", "end": "2024-05-01"},
        {"host_country": "XX"},
        {"start": "9" * 40},
    ],
)
def test_bad_filters_give_a_form_error_not_figures(as_user, supervisor, requests_by_hand, query):
    response = as_user(supervisor).get(PAGE, query)
    assert response.status_code == 400
    content = response.content.decode()
    assert 'class="errornote"' in content
    assert 'class="errorlist' in content
    assert '<table id="responsiveness">' not in content


@pytest.mark.parametrize("who", ["worker", "petition_editor"])
def test_staff_who_are_not_supervisors_or_advocates_get_403_and_it_is_logged(as_user, request, who):
    user = request.getfixturevalue(who)
    assert as_user(user).get(PAGE).status_code == 403
    refused = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_REFUSED)
    assert refused.detail == "responsiveness page"


def test_the_admin_index_links_to_the_page_for_advocates_only(as_user, advocate, worker):
    index = reverse("admin:index")
    assert PAGE in as_user(advocate).get(index).content.decode()
    assert PAGE not in as_user(worker).get(index).content.decode()


def test_a_page_with_no_requests_says_so(as_user, advocate):
    response = as_user(advocate).get(PAGE)
    assert response.status_code == 200
    assert "No requests match these filters." in response.content.decode()


def test_the_page_speaks_uyghur_right_to_left(as_user, supervisor, requests_by_hand):
    client = as_user(supervisor)
    client.cookies["django_language"] = "ug"
    response = client.get(PAGE)
    assert response.status_code == 200
    assert 'dir="rtl"' in response.content.decode()


# --- A fixed number of queries --------------------------------------------------------


def add_governments(family, numbers):
    for number in numbers:
        body = (("BE", "NL", "DE")[number % 3], Kind.EMBASSY, f"Embassy desk {number}")
        request(family, body, "2024-03-01", "2024-03-05")
        request(family, body, "2024-03", follow_up_on=PAST)


def test_every_row_and_its_median_come_from_one_aggregate_query(
    supervisor, requests_by_hand, django_assert_num_queries
):
    requests = responsiveness.requests_for(user=supervisor)
    with django_assert_num_queries(1):
        assert len(responsiveness.responsiveness(requests=requests, today=TODAY)) == 4
    with django_assert_num_queries(1):
        responsiveness.totals(requests=requests, today=TODAY)


@pytest.mark.parametrize("who", ["supervisor", "advocate"])
def test_the_page_costs_the_same_queries_for_3_or_30_governments(as_user, request, who):
    client = as_user(request.getfixturevalue(who))
    family = FamilyFactory()
    add_governments(family, range(3))
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    add_governments(family, range(3, 30))
    with CaptureQueriesContext(connection) as many:
        response = client.get(PAGE)
    assert len(cells(response)) == 30
    assert len(many) == len(few)
