"""Oversized bodies and too many fields are refused with 400, never a 500 or a save."""

import pytest
from django.urls import reverse

from cases.admin import BoundedInline
from cases.models import Family
from tests.factories import FamilyFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db


def test_too_many_fields_are_refused(caseworker_client):
    data = {f"field{i}": "x" for i in range(1100)}

    response = caseworker_client.post(reverse("admin:cases_family_add"), data)

    assert response.status_code == 400
    assert not Family.objects.exists()


def test_an_oversized_body_is_refused(caseworker_client):
    response = caseworker_client.post(
        reverse("admin:cases_family_add"), {"name": "x" * (3 * 1024 * 1024)}
    )

    assert response.status_code == 400
    assert not Family.objects.exists()


def test_a_nul_byte_gets_a_form_error_not_a_database_error(caseworker_client, admin_form):
    data = admin_form(caseworker_client.get(reverse("admin:cases_family_add")))
    data["name"] = "Null\x00byte"

    response = caseworker_client.post(reverse("admin:cases_family_add"), data)

    assert response.status_code == 200
    assert "Null characters are not allowed" in str(response.context["errors"])
    assert not Family.objects.exists()


INLINE_PREFIXES = ["memberships", "separations", "government_contacts", "entries"]


@pytest.mark.parametrize("prefix", INLINE_PREFIXES)
def test_a_huge_inline_form_count_gets_a_form_error_and_builds_few_forms(
    caseworker_client, admin_form, prefix
):
    # The attack: one field that asks the server to build and draw 100,000 forms.
    family = FamilyFactory()
    url = reverse("admin:cases_family_change", args=[family.pk])
    data = admin_form(caseworker_client.get(url))
    data[f"{prefix}-TOTAL_FORMS"] = "100000"

    response = caseworker_client.post(url, data)

    assert response.status_code == 200
    formset = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == prefix
    )
    assert len(formset.forms) <= BoundedInline.NEW_PER_SAVE
    assert "Please submit at most" in " ".join(formset.non_form_errors())
    assert len(response.content) < 1_000_000


def test_an_inline_keeps_every_record_it_has_plus_new_ones(caseworker_client, admin_form):
    # The bound counts what exists: a case with many entries can still be saved.
    family = FamilyFactory()
    TimelineEntryFactory.create_batch(BoundedInline.NEW_PER_SAVE + 5, family=family)
    url = reverse("admin:cases_family_change", args=[family.pk])
    data = admin_form(caseworker_client.get(url))
    data.add_inline(
        "entries",
        occurred_on="2024",
        kind="media",
        title="New article",
        source="A newspaper",
        reliability="media_report",
    )

    response = caseworker_client.post(url, data)

    assert response.status_code == 302
    assert family.entries.count() == BoundedInline.NEW_PER_SAVE + 6
