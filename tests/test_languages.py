"""Staff pages speak English or Uyghur; the public languages do not leak into them."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("accept", "lang"), [("fr", "en"), ("zh-hans", "en"), ("ug", "ug")])
def test_the_staff_login_is_in_english_or_uyghur_only(client, accept, lang):
    response = client.get(reverse("staff:login"), headers={"accept-language": accept})

    assert f'<html lang="{lang}"' in response.content.decode()
