"""Guessing the ids of another caseworker's restricted case, on every URL that takes one."""

import pytest
from django.urls import reverse

from cases.models import AuditEvent, GovernmentContact, Person, Separation

pytestmark = pytest.mark.django_db

VIEWS = ["change", "history", "delete"]


def record_urls(family):
    records = {
        "family": family,
        "person": Person.objects.get(memberships__family=family),
        "separation": Separation.objects.get(family=family),
        "governmentcontact": GovernmentContact.objects.get(family=family),
    }
    return [
        reverse(f"admin:cases_{name}_{view}", args=[obj.pk])
        for name, obj in records.items()
        for view in VIEWS
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_record_url_of_a_restricted_case_is_absent_for_others(
    as_user, worker, restricted_case, method
):
    client = as_user(worker)

    for url in record_urls(restricted_case):
        response = getattr(client, method)(url, {"name": "changed", "post": "yes"})
        assert response.status_code == 404, url

    restricted_case.refresh_from_db()
    assert restricted_case.name == "Restricted"
    assert Person.objects.filter(name_latin="Hidden Person").exists()
    assert AuditEvent.objects.filter(action="access_refused").count() == len(
        record_urls(restricted_case)
    )


def test_advocates_cannot_guess_restricted_cases_either(as_user, advocate, restricted_case):
    client = as_user(advocate)

    for url in record_urls(restricted_case):
        assert client.get(url).status_code == 404, url


def test_the_assigned_caseworker_and_supervisors_can_open_them(
    as_user, other_worker, supervisor, restricted_case
):
    url = reverse("admin:cases_family_change", args=[restricted_case.pk])

    assert as_user(other_worker).get(url).status_code == 200
    assert as_user(supervisor).get(url).status_code == 200


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("membership", "person"), ("separation", "family"), ("family", "reporting_contact")],
)
def test_autocomplete_never_offers_restricted_records(
    as_user, worker, restricted_case, model_name, field_name
):
    response = as_user(worker).get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "cases", "model_name": model_name, "field_name": field_name},
    )

    assert response.status_code in {200, 403}
    if response.status_code == 200:
        texts = [r["text"] for r in response.json()["results"]]
        assert not any("Hidden" in t or "Restricted" in t for t in texts)
