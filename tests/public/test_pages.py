"""The public petition pages: the list, a petition in every language, count.json, the
open data, closed and draft petitions, and the layout rules every page keeps."""

import datetime as dt
import sys
import types

import pytest
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from cases import petitions
from cases.models import Petition, PetitionEvent, Signature
from cases.partial_dates import PartialDate
from cases.public import counting
from tests.factories import GovernmentContactFactory
from tests.public.conftest import UG_TITLE, make_petition, sign
from tests.public.markup import read

pytestmark = pytest.mark.django_db

LANGUAGE_CODES = [code for code, _name in settings.PUBLIC_LANGUAGES]


def detail_url(petition, language="en"):
    with translation.override(language):
        return reverse("public:petition_detail", kwargs={"slug": petition.slug})


def list_url(language="en"):
    with translation.override(language):
        return reverse("public:petition_list")


def count_url(petition):
    return reverse("public_data:count", kwargs={"slug": petition.slug})


def open_data_url(petition):
    return reverse("public_data:open_data", kwargs={"slug": petition.slug})


# --- Addresses and languages --------------------------------------------------------------


def test_pages_have_one_address_per_language_and_json_has_none():
    petition = Petition(slug="p")

    assert detail_url(petition, "en") == "/en/petitions/p/"
    assert detail_url(petition, "ug") == "/ug/petitions/p/"
    assert detail_url(petition, "zh-hans") == "/zh-hans/petitions/p/"
    assert list_url("nl-be") == "/nl-be/petitions/"
    assert count_url(petition) == "/petitions/p/count.json"
    assert open_data_url(petition) == "/petitions/p.json"


def test_a_page_without_a_language_redirects_to_the_readers_language(client, petition):
    response = client.get(f"/petitions/{petition.slug}/", headers={"accept-language": "ug"})

    assert response.status_code == 302
    assert response["Location"] == f"/ug/petitions/{petition.slug}/"


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ug", "rtl")])
def test_every_public_page_says_its_language_and_direction(client, petition, language, direction):
    for url in (detail_url(petition, language), list_url(language)):
        page = read(client.get(url).content)

        assert page.html_attrs["lang"] == language
        assert page.html_attrs["dir"] == direction


@pytest.mark.parametrize("language", LANGUAGE_CODES)
def test_every_language_gets_the_page_with_a_switcher_to_all_eight(client, petition, language):
    response = client.get(detail_url(petition, language))

    assert response.status_code == 200
    page = read(response.content)
    assert page.html_attrs["lang"] == language
    links = {link["lang"]: link for link in page.language_links}
    assert sorted(links) == sorted(LANGUAGE_CODES)
    for code, link in links.items():
        assert link["href"] == detail_url(petition, code)
        assert link["hreflang"] == code
    assert links["ug"]["dir"] == "rtl"
    assert [code for code, link in links.items() if "aria-current" in link] == [language]


def test_the_list_has_the_switcher_too(client, petition):
    page = read(client.get(list_url("fr")).content)

    assert {link["href"] for link in page.language_links} == {
        list_url(code) for code in LANGUAGE_CODES
    }


def test_the_petition_reads_in_the_readers_language(client, petition):
    response = client.get(detail_url(petition, "ug"))

    assert UG_TITLE in response.content.decode()
    assert "Reunite the Tursun family" not in response.content.decode()


def test_a_language_without_a_text_shows_the_fallback_marked_as_its_language(client, family):
    petition = make_petition(family=family, fallback_language="ug")

    content = client.get(detail_url(petition, "fr")).content.decode()

    assert UG_TITLE in content
    assert '<div lang="ug" dir="rtl">' in content
    assert '<html lang="fr" dir="ltr">' in content


# --- What a petition page shows ------------------------------------------------------------


def test_the_page_shows_the_letter_the_addressee_the_demands_and_the_count(client, petition):
    Petition.objects.filter(pk=petition.pk).update(signature_count=1234)

    content = client.get(detail_url(petition)).content.decode()

    for text in [
        "Reunite the Tursun family",
        "A mother in Belgium asks for news of her son.",
        "Minister Example",
        "Minister for Foreign Affairs",
        "Rue Exemple 1",
        "Dear Minister,",
        "We write to you about a family kept apart.",
        "<li>Ask for proof of life</li>",
        "<li>Raise the case publicly</li>",
        'data-count="1234">1,234</dd>',
        'data-goal="2500">2,500</dd>',
        '<progress max="2500" value="1234"',
        "Open for signatures",
    ]:
        assert text in content, text


def test_the_page_loads_our_count_script_deferred_and_nothing_inline(client, petition):
    page = read(client.get(detail_url(petition)).content)

    assert {"src": "/static/js/count.js", "defer": ""} in page.scripts
    # The sign form's own script, if it has one, follows the same rule.
    assert all(s["src"].startswith("/static/js/") and "defer" in s for s in page.scripts)
    assert page.inline_scripts == 0
    assert page.style_elements == 0
    assert page.style_attributes == 0


@pytest.mark.parametrize("language", ["en", "ug"])
def test_nothing_on_a_public_page_comes_from_another_host(client, petition, language):
    for url in (detail_url(petition, language), list_url(language)):
        response = client.get(url)
        page = read(response.content)

        ours = ("/", "#", "http://testserver/")
        assert [address for address in page.addresses if not address.startswith(ours)] == []
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_page_has_share_cards_and_a_viewport(client, petition):
    page = read(client.get(detail_url(petition)).content)

    assert page.meta["viewport"] == "width=device-width, initial-scale=1"
    assert page.meta["og:title"] == "Reunite the Tursun family"
    assert page.meta["og:description"] == "A mother in Belgium asks for news of her son."
    assert page.meta["og:url"] == f"http://testserver/en/petitions/{petition.slug}/"
    assert page.meta["og:image"] == "http://testserver/static/img/share.png"
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.meta["twitter:image"] == page.meta["og:image"]


def test_the_share_image_is_a_png_served_by_us():
    image = settings.BASE_DIR / "static" / "img" / "share.png"

    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.stat().st_size < 50_000


def test_the_page_sets_no_cookie_and_holds_no_csrf_token(client, petition):
    response = client.get(detail_url(petition))

    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert response.headers["Cache-Control"] == "public, max-age=10"


def test_recent_signers_who_opted_in_show_by_first_name_and_country_only(client, petition):
    sign(petition, 1, country="FR", show_publicly=True, confirmed_at=timezone.now())
    sign(petition, 1, country="TR", start=1, show_publicly=False)
    sign(petition, 1, country="IT", start=2, show_publicly=True, state=Signature.State.PENDING)
    sign(petition, 1, country="NL", start=3, show_publicly=True, state=Signature.State.SUSPECT)

    content = client.get(detail_url(petition)).content.decode()
    signers = content[content.index('<section class="signers"') :]
    signers = signers[: signers.index("</section>")]

    assert "<li><bdi>Signer0</bdi>, France</li>" in signers
    assert "Türkiye" not in signers
    for hidden in ["Quellstrom", "@example.org", "Signer1", "Signer2", "Signer3"]:
        assert hidden not in content


def test_the_page_shows_the_consented_story_of_the_family(client, petition):
    content = client.get(detail_url(petition)).content.decode()

    assert "Gulnar Tursun has not heard from her son since 2017." in content
    assert "A relative separated from the family" in content


def test_the_sign_form_is_included_when_the_signing_path_provides_it(
    client, petition, settings, tmp_path, monkeypatch
):
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "_sign_form.html").write_text(
        '<form method="post" data-slug="{{ petition.slug }}">{{ sign_form.name }}</form>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    class SignForm(forms.Form):
        name = forms.CharField()

    monkeypatch.setitem(sys.modules, "cases.public.forms", types.SimpleNamespace(SignForm=SignForm))

    content = client.get(detail_url(petition)).content.decode()

    assert f'<form method="post" data-slug="{petition.slug}">' in content
    assert 'name="name"' in content


def test_without_the_signing_path_the_page_still_works(client, petition, monkeypatch):
    monkeypatch.setattr("cases.public.views.SIGN_FORM_TEMPLATE", "public/_not_there.html")

    response = client.get(detail_url(petition))

    assert response.status_code == 200
    assert "Signing opens here soon." in response.content.decode()


# --- Drafts and closed petitions ---------------------------------------------------------


def test_a_draft_answers_404_on_every_address(client, family):
    draft = make_petition("secret-draft", family=family, publish=False)
    urls = [detail_url(draft, code) for code in LANGUAGE_CODES]
    urls += [count_url(draft), open_data_url(draft)]

    for url in urls:
        assert client.get(url).status_code == 404, url
    followed = client.get(f"/petitions/{draft.slug}/", follow=True)
    assert followed.status_code == 404
    for code in LANGUAGE_CODES:
        assert "secret-draft" not in client.get(list_url(code)).content.decode()


def test_the_list_shows_public_petitions_open_ones_first(client, family):
    closed = make_petition("closed-one", family=family)
    petitions.petition_close(petition=closed, actor=None)
    make_petition("open-one", family=family)

    content = client.get(list_url()).content.decode()

    assert content.index("/en/petitions/open-one/") < content.index("/en/petitions/closed-one/")


def test_a_closed_petition_shows_its_final_count_and_says_signing_is_closed(
    client, petition, monkeypatch
):
    monkeypatch.setattr(
        "cases.public.views._sign_form_context",
        lambda: pytest.fail("a closed petition renders no sign form"),
    )
    Petition.objects.filter(pk=petition.pk).update(signature_count=812)
    petitions.petition_close(petition=petition, actor=None)

    content = client.get(detail_url(petition)).content.decode()
    document = client.get(count_url(petition)).json()

    assert "Signing is closed. This petition was signed by 812 people." in content
    assert 'data-count="812"' in content
    assert (document["count"], document["accepts_signatures"], document["state"]) == (
        812,
        False,
        "closed",
    )


def test_a_petition_past_its_closing_date_is_closed_too(client, family):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    petition = make_petition(family=family, opens_on=yesterday, closes_on=yesterday)

    content = client.get(detail_url(petition)).content.decode()

    assert "Signing is closed." in content
    assert client.get(count_url(petition)).json()["state"] == "closed"


def test_a_petition_not_open_yet_says_when_it_opens(client, family):
    petition = make_petition(family=family, opens_on=dt.date(2999, 1, 1))

    content = client.get(detail_url(petition)).content.decode()

    assert "This petition opens for signatures on Jan. 1, 2999." in content


# --- count.json --------------------------------------------------------------------------


def test_count_json_has_the_count_the_goal_and_when_it_was_counted(client, petition):
    sign(petition, 3)
    counting.count_signatures.call(petition_id=petition.pk)

    response = client.get(count_url(petition))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=2"
    document = response.json()
    assert set(document) >= {"count", "goal", "updated_at"}
    assert (document["count"], document["goal"], document["percent"]) == (3, 100, 3)
    petition.refresh_from_db()
    assert dt.datetime.fromisoformat(document["updated_at"]) == petition.count_updated_at
    assert not response.cookies


# --- The whole-page cache ------------------------------------------------------------------


def test_a_second_view_of_a_page_costs_no_query(client, petition, django_assert_num_queries):
    client.get(detail_url(petition))
    client.get(count_url(petition))

    with django_assert_num_queries(0):
        assert client.get(detail_url(petition)).status_code == 200
        assert client.get(count_url(petition)).status_code == 200


def test_the_cache_key_holds_the_language_and_the_page_version(client, petition):
    client.get(detail_url(petition, "ug"))
    version = cache.get(counting.page_version_key(petition.pk))

    keys = [key for key in cache._cache if f":page:{petition.pk}:" in key]
    assert len(keys) == 1
    assert ":ug:" in keys[0]
    assert keys[0].endswith(f":{version}")


def test_forgetting_the_pages_renders_every_language_afresh(client, petition):
    before = {code: client.get(detail_url(petition, code)).content for code in ("en", "ug")}
    Petition.objects.filter(pk=petition.pk).update(signature_count=4321)

    unchanged = {code: client.get(detail_url(petition, code)).content for code in ("en", "ug")}
    counting.forget_pages(petition.pk)
    after = {code: client.get(detail_url(petition, code)).content.decode() for code in ("en", "ug")}

    assert unchanged == before  # served from the cache
    assert 'data-count="4321"' in after["en"]
    assert 'data-count="4321"' in after["ug"]
    assert client.get(count_url(petition)).json()["count"] == 4321


def test_a_new_count_reaches_the_page_and_count_json(client, petition):
    client.get(detail_url(petition))
    client.get(count_url(petition))
    sign(petition, 7)

    counting.count_signatures.call(petition_id=petition.pk)

    assert 'data-count="7"' in client.get(detail_url(petition)).content.decode()
    assert client.get(count_url(petition)).json()["count"] == 7


def test_closing_the_petition_reaches_the_cached_page(
    client, petition, django_capture_on_commit_callbacks
):
    client.get(detail_url(petition))

    with django_capture_on_commit_callbacks(execute=True):
        petitions.petition_close(petition=petition, actor=None)

    assert "Signing is closed." in client.get(detail_url(petition)).content.decode()


def test_a_lost_page_version_never_brings_back_an_older_page(client, petition):
    client.get(detail_url(petition))
    cache.delete(counting.page_version_key(petition.pk))  # evicted
    Petition.objects.filter(pk=petition.pk).update(signature_count=55)

    assert 'data-count="55"' in client.get(detail_url(petition)).content.decode()


# --- Open data -------------------------------------------------------------------------------


def test_open_data_groups_countries_under_five_signatures_as_other(client, petition):
    sign(petition, 6, country="BE")
    sign(petition, 5, country="FR")
    sign(petition, 4, country="TR")
    sign(petition, 1, country="KZ")
    sign(petition, 3, country="IT", state=Signature.State.PENDING)
    sign(petition, 9, country="NL", state=Signature.State.INVALIDATED)

    response = client.get(open_data_url(petition))

    assert response.status_code == 200
    by_country = response.json()["data"]["attributes"]["signatures_by_country"]
    assert by_country == [
        {"code": "BE", "name": "Belgium", "signature_count": 6},
        {"code": "FR", "name": "France", "signature_count": 5},
        {"code": "other", "name": "Other", "signature_count": 5},
    ]


def test_open_data_never_carries_a_name_or_an_email(client, petition):
    sign(petition, 6, show_publicly=True, postcode="1000", comment="A comment of mine")

    text = client.get(open_data_url(petition)).content.decode()

    for private in ("Signer", "@", "A comment of mine", "1000", "ip_hash"):
        assert private not in text


def test_open_data_has_the_state_the_goals_reached_and_the_response(client, petition):
    sign(petition, 120)
    counting.count_signatures.call(petition_id=petition.pk)
    petitions.petition_close(petition=petition, actor=None)
    petitions.petition_record_delivery(
        petition=petition, actor=None, delivered_on=PartialDate(2026, 1, 5)
    )
    contact = GovernmentContactFactory(
        family=petition.families.get(),
        body="Ministry of Foreign Affairs",
        summary="The minister will raise the case.",
        outcome="promised",
        contacted_on=PartialDate(2026, 1, 5),
        response_on=PartialDate(2026, 2, 1),
    )
    petitions.petition_record_response(petition=petition, contact=contact, actor=None)
    counting.forget_pages(petition.pk)

    attributes = client.get(open_data_url(petition)).json()["data"]["attributes"]

    reached = PetitionEvent.objects.get(kind="goal", goal=100).at
    assert attributes["state"] == "responded"
    assert attributes["signature_count"] == 120
    assert attributes["goal"] == 500
    assert attributes["goals_reached"] == [{"goal": 100, "reached_at": reached.isoformat()}]
    for moment in ("opened_at", "closed_at", "delivered_at", "responded_at"):
        assert attributes[moment], moment
    assert attributes["government_response"] == {
        "body": "Ministry of Foreign Affairs",
        "outcome": "Promised action",
        "summary": "The minister will raise the case.",
        "responded_on": "2026-02-01",
    }
    content = client.get(detail_url(petition)).content.decode()
    assert "The government's response" in content
    assert "The minister will raise the case." in content
