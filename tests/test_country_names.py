"""Country names in the Uyghur admin are Uyghur (issue 7): django-countries has no Uyghur
catalogue, so locale_countries/ug holds CLDR's names (`manage.py country_names`)."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django_countries import countries

from tests.factories import FamilyFactory, GovernmentContactFactory

pytestmark = pytest.mark.django_db

UYGHUR = {
    "AU": "ئاۋسترالىيە",
    "BE": "بېلگىيە",
    "IT": "ئىتالىيە",
    "TR": "تۈركىيە",
}


@pytest.fixture
def in_uyghur(caseworker_client):
    caseworker_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ug"
    return caseworker_client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_family_forms_host_country_menu_is_in_uyghur(in_uyghur):
    html = page(in_uyghur, reverse("admin:cases_family_add"))

    menu = html[html.index('name="host_country"') :]
    menu = menu[: menu.index("</select>")]
    for code, name in UYGHUR.items():
        assert f'<option value="{code}">{name}</option>' in menu
    assert "Belgium" not in menu


def test_the_family_list_filter_and_column_name_host_countries_in_uyghur(in_uyghur):
    for code in UYGHUR:
        FamilyFactory(host_country=code)

    html = page(in_uyghur, reverse("admin:cases_family_changelist"))

    filter_links = dict(
        re.findall(r'<a href="\?host_country=([A-Z]{2})"[^>]*>\s*([^<]+?)\s*</a>', html)
    )
    assert filter_links == UYGHUR
    columns = set(re.findall(r'<td class="field-host_country">([^<]+)</td>', html))
    assert columns == set(UYGHUR.values())


def test_the_contact_list_filters_governments_in_uyghur(in_uyghur):
    GovernmentContactFactory(government="BE")

    html = page(in_uyghur, reverse("admin:cases_governmentcontact_changelist"))

    assert f">{UYGHUR['BE']}</a>" in html
    assert "Belgium" not in html


def test_english_stays_english(caseworker_client):
    FamilyFactory(host_country="BE")

    html = page(caseworker_client, reverse("admin:cases_family_changelist"))

    assert '<td class="field-host_country">Belgium</td>' in html


def test_every_country_django_countries_can_show_has_a_uyghur_name():
    with translation.override("en"):
        english = dict(countries)
    with translation.override("ug"):
        uyghur = dict(countries)

    assert set(uyghur) == set(english)
    assert [code for code in english if uyghur[code] == english[code]] == []


def test_the_committed_catalogue_is_what_cldr_gives_for_the_installed_django_countries():
    # Fails after an upgrade of django-countries or Babel changes a name: run
    # `manage.py country_names` and commit locale_countries/.
    call_command("country_names", "--check")
