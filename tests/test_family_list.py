"""The family list marks an overdue follow-up in words (issue 7), server-side, so it is
there for screen readers and in forced colours too, and keeps its columns narrow."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import FamilyFactory, GovernmentContactFactory, UserFactory

pytestmark = pytest.mark.django_db

FAMILY_LIST = reverse("admin:cases_family_changelist")
TODAY = timezone.localdate()


def follow_up_cell(client, family) -> str:
    html = client.get(FAMILY_LIST).content.decode()
    row = html[html.index(f">{family.reference}<") :]
    cell = row[row.index('<td class="field-next_follow_up">') :]
    return cell[: cell.index("</td>")]


@pytest.mark.parametrize(
    ("due_in_days", "answered", "overdue"),
    [(-1, False, True), (0, False, False), (3, False, False), (-1, True, False)],
)
def test_an_open_follow_up_past_its_date_is_marked_overdue_in_words(
    caseworker_client, due_in_days, answered, overdue
):
    family = FamilyFactory()
    due = TODAY + dt.timedelta(days=due_in_days)
    GovernmentContactFactory(
        family=family,
        contacted_on=TODAY - dt.timedelta(days=30),
        follow_up_on=due,
        response_on=str(TODAY) if answered else "",
    )

    cell = follow_up_cell(caseworker_client, family)

    assert ('<mark class="overdue">Overdue</mark>' in cell) is overdue
    if not answered:
        assert f'<time datetime="{due.isoformat()}"' in cell


def test_the_overdue_mark_is_in_uyghur_in_the_uyghur_admin(caseworker_client):
    family = FamilyFactory()
    GovernmentContactFactory(
        family=family, contacted_on="2026-01", follow_up_on=TODAY - dt.timedelta(days=1)
    )
    caseworker_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ug"

    assert '<mark class="overdue">ۋاقتى ئۆتكەن</mark>' in follow_up_cell(caseworker_client, family)


def test_usernames_may_break_after_their_dots_and_stay_escaped(caseworker_client):
    family = FamilyFactory()
    family.caseworkers.add(UserFactory(username="gulnisa.abdukerim"), UserFactory(username="a<b"))

    html = caseworker_client.get(FAMILY_LIST).content.decode()

    assert "a&lt;b, gulnisa.<wbr>abdukerim" in html or "gulnisa.<wbr>abdukerim, a&lt;b" in html
    assert "a<b" not in html
