"""The fast path of the public pages (cases/public/middleware.py): a petition's page,
count.json and open data answered whole from this process's memory to readers without
cookies, with the same headers as the full stack, never to staff, never stale."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from cases.models import Petition
from cases.public import counting, middleware
from tests.public.conftest import make_petition

pytestmark = pytest.mark.django_db

# The first middleware below the fast path: when it runs, the request took the slow path.
BELOW = "django.middleware.security.SecurityMiddleware.process_request"


def detail_url(petition, language="en"):
    with translation.override(language):
        return reverse("public:petition_detail", kwargs={"slug": petition.slug})


def count_url(petition):
    return reverse("public_data:count", kwargs={"slug": petition.slug})


def open_data_url(petition):
    return reverse("public_data:open_data", kwargs={"slug": petition.slug})


def urls(petition):
    return [
        detail_url(petition, "en"),
        detail_url(petition, "ug"),
        count_url(petition),
        open_data_url(petition),
    ]


def fast(client, url, **extra):
    """The answer to `url`, failing if anything below the fast path had to run."""
    with mock.patch(BELOW, side_effect=AssertionError(f"{url} took the slow path")):
        return client.get(url, **extra)


def slow(client, url, **extra):
    """The answer to `url` through the whole stack (a cookie keeps the fast path out)."""
    calls = []
    with mock.patch(BELOW, side_effect=lambda request: calls.append(request)):
        response = client.get(url, HTTP_COOKIE="reader=1", **extra)
    assert calls, f"{url} did not take the slow path"
    return response


def headers(response) -> dict[str, str]:
    return dict(response.headers.items())


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_a_kept_response_has_the_same_headers_and_body_as_the_full_stack(
    client, petition, settings, secure
):
    settings.SECURE_HSTS_SECONDS = 31536000  # sent on HTTPS only, by SecurityMiddleware
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    for url in urls(petition):
        first = client.get(url, secure=secure)  # fills the fast path
        kept = fast(client, url, secure=secure)
        full = slow(client, url, secure=secure)

        assert first.status_code == kept.status_code == full.status_code == 200
        assert headers(kept) == headers(first) == headers(full), url
        assert kept.content == first.content == full.content, url
        for name in (
            "Content-Security-Policy",
            "X-Frame-Options",
            "X-Content-Type-Options",
            "Referrer-Policy",
            "Cross-Origin-Opener-Policy",
            "Cache-Control",
            "Vary",
            "Content-Language",
        ):
            assert kept.has_header(name), (url, name)
        assert kept.has_header("Strict-Transport-Security") is secure


def test_a_kept_page_needs_no_nonce_and_its_policy_allows_no_inline_script(client, petition):
    client.get(detail_url(petition))

    policy = fast(client, detail_url(petition))["Content-Security-Policy"]

    assert "nonce-" not in policy
    assert "unsafe-inline" not in policy


def test_a_staff_session_never_gets_a_kept_page(client, petition, caseworker, login):
    for url in urls(petition):
        client.get(url)  # a reader's visits: kept
        assert "no-store" not in fast(client, url)["Cache-Control"]

    staff = login(client, caseworker)
    for url in urls(petition):
        # NoStoreForStaffMiddleware ran: the full stack answered the staff member.
        assert "no-store" in staff.get(url)["Cache-Control"], url


def test_what_a_staff_session_was_answered_is_never_kept(client, petition, caseworker, login):
    staff = login(client, caseworker)
    for url in urls(petition):
        assert "no-store" in staff.get(url)["Cache-Control"], url

    assert not middleware._kept
    client.cookies.clear()  # a reader now, on the same client
    for url in urls(petition):
        assert "no-store" not in client.get(url)["Cache-Control"], url


def test_a_head_request_is_answered_like_the_get_it_follows(client, petition):
    get = client.get(detail_url(petition))

    with mock.patch(BELOW, side_effect=AssertionError("slow")):
        head = client.head(detail_url(petition))

    assert head.status_code == 200
    assert headers(head) == headers(get)


def test_a_request_with_any_cookie_or_a_query_string_takes_the_full_stack(client, petition):
    client.get(detail_url(petition))

    slow(client, detail_url(petition))
    with mock.patch(BELOW, side_effect=AssertionError("slow")), pytest.raises(AssertionError):
        client.get(detail_url(petition) + "?utm_source=mail")


def test_a_changed_petition_is_never_served_from_a_kept_copy(client, petition):
    for url in urls(petition):
        client.get(url)
    Petition.objects.filter(pk=petition.pk).update(signature_count=4321)

    # Not forgotten yet: the kept copies answer (and prove they are kept).
    assert 'data-count="4321"' not in fast(client, detail_url(petition)).content.decode()
    assert fast(client, count_url(petition)).json()["count"] == 0

    counting.forget_pages(petition.pk)  # what a count or a staff edit does on commit

    assert 'data-count="4321"' in client.get(detail_url(petition)).content.decode()
    assert 'data-count="4321"' in client.get(detail_url(petition, "ug")).content.decode()
    assert client.get(count_url(petition)).json()["count"] == 4321
    attributes = client.get(open_data_url(petition)).json()["data"]["attributes"]
    assert attributes["signature_count"] == 4321


def test_a_page_version_moved_by_another_process_retires_the_kept_copy(client, petition):
    client.get(count_url(petition))
    Petition.objects.filter(pk=petition.pk).update(signature_count=12)

    cache.incr(counting.page_version_key(petition.pk))  # another server process's count

    assert client.get(count_url(petition)).json()["count"] == 12


def test_a_lost_cache_never_brings_back_a_kept_page(client, petition):
    counting.forget_pages(petition.pk)  # the publication's, on commit: the first version
    client.get(detail_url(petition))
    Petition.objects.filter(pk=petition.pk).update(signature_count=77)

    cache.clear()  # Redis restarted or flushed: every page version is gone
    counting.forget_pages(petition.pk)  # and then a staff edit

    assert 'data-count="77"' in client.get(detail_url(petition)).content.decode()


def test_a_renamed_petition_is_not_served_at_its_old_address(
    client, petition, django_capture_on_commit_callbacks
):
    old = detail_url(petition)
    client.get(old)

    with django_capture_on_commit_callbacks(execute=True):
        Petition.objects.filter(pk=petition.pk).update(slug="the-tursun-family")
        counting.forget_pages_on_commit(petition)

    assert client.get(old).status_code == 404


def test_count_json_is_kept_per_language_the_reader_asks_for(client, petition):
    assert client.get(count_url(petition), HTTP_ACCEPT_LANGUAGE="ug")["Content-Language"] == "ug"

    assert fast(client, count_url(petition), HTTP_ACCEPT_LANGUAGE="ug")["Content-Language"] == "ug"
    assert client.get(count_url(petition), HTTP_ACCEPT_LANGUAGE="fr")["Content-Language"] == "fr"
    assert client.get(count_url(petition))["Content-Language"] == "en"  # no preference
    assert fast(client, count_url(petition), HTTP_ACCEPT_LANGUAGE="fr")["Content-Language"] == "fr"
    assert fast(client, count_url(petition), HTTP_ACCEPT_LANGUAGE="ug")["Content-Language"] == "ug"


def test_a_host_the_site_does_not_serve_is_refused_as_before(client, petition):
    client.get(detail_url(petition))

    assert client.get(detail_url(petition), HTTP_HOST="evil.example").status_code == 400


def test_a_draft_petition_is_never_kept(client):
    draft = make_petition(slug="a-draft", publish=False)

    assert client.get(detail_url(draft)).status_code == 404
    assert client.get(detail_url(draft)).status_code == 404
    assert not middleware._kept


def test_a_response_with_a_cookie_a_nonce_or_a_private_cache_control_is_not_shareable():
    request = RequestFactory().get("/en/petitions/p/")
    response = mock.MagicMock(status_code=200, streaming=False, cookies={})
    response.has_header.return_value = False
    response.headers = {"Cache-Control": "public, max-age=10", "Vary": "Cookie"}
    assert middleware._shareable(request, response)

    request._csp_nonce = "used"  # what LazyNonce is once a template asked for it
    assert not middleware._shareable(request, response)
    del request._csp_nonce

    for cache_control in ("private, max-age=10", "public, no-store", "max-age=10"):
        response.headers = {"Cache-Control": cache_control}
        assert not middleware._shareable(request, response), cache_control
    response.headers = {"Cache-Control": "public, max-age=10", "Vary": "Origin"}
    assert not middleware._shareable(request, response)
    response.headers = {"Cache-Control": "public, max-age=10"}
    response.cookies = {"sessionid": "x"}
    assert not middleware._shareable(request, response)


def test_kept_responses_stay_within_their_memory_bound(client, petition, monkeypatch):
    client.get(detail_url(petition, "en"))
    page = len(middleware._kept[next(iter(middleware._kept))].content)
    monkeypatch.setattr(middleware, "MAX_BYTES", 2 * page + page // 2)

    for language in ("ug", "fr", "tr"):
        client.get(detail_url(petition, language))

    assert middleware._kept_bytes <= middleware.MAX_BYTES
    assert len(middleware._kept) == 2  # the newest two; the oldest went first
    assert {key[2] for key in middleware._kept} == {
        detail_url(petition, "fr"),
        detail_url(petition, "tr"),
    }
