"""Oversized bodies and too many fields are refused with 400, never a 500 or a save."""

import pytest
from django.urls import reverse

from cases.models import Family

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
