"""A change on a case reaches its petition pages at once, not when the cache expires."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from cases.models import Petition
from cases.public.counting import page_version_key
from tests.factories import FamilyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("record", ["family", "person"])
def test_saving_a_case_record_forgets_its_petition_pages(
    caseworker_client, admin_form, django_capture_on_commit_callbacks, record
):
    family = FamilyFactory()
    person = MembershipFactory(family=family).person
    Petition.objects.create(slug="home", addressee_name="Minister").families.add(family)
    url = reverse(
        f"admin:cases_{record}_change", args=[(family if record == "family" else person).pk]
    )
    data = admin_form(caseworker_client.get(url))
    petition = Petition.objects.get()
    before = cache.get(page_version_key(petition.pk))

    with django_capture_on_commit_callbacks(execute=True):
        assert caseworker_client.post(url, data).status_code == 302

    assert cache.get(page_version_key(petition.pk)) != before
