"""The caseworkers' lists cost the same number of queries for 3 cases or 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    SeparationFactory,
)

pytestmark = pytest.mark.django_db


def add_cases(count, caseworker):
    for _ in range(count):
        family = FamilyFactory()
        family.caseworkers.add(caseworker)
        MembershipFactory(family=family)
        SeparationFactory(family=family, person__last_contact="2019")
        GovernmentContactFactory(family=family)


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url_name", ["admin:cases_family_changelist", "admin:cases_separation_changelist"]
)
def test_list_query_count_does_not_grow_with_the_number_of_cases(
    caseworker_client, caseworker, url_name
):
    url = reverse(url_name)
    add_cases(3, caseworker)
    few = queries_for(caseworker_client, url)

    add_cases(27, caseworker)
    many = queries_for(caseworker_client, url)

    assert many == few
