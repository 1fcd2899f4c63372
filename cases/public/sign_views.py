"""The signing path's pages: the sign POST, the thank-you page, the confirmation page,
asking for the link again, one-click unsubscribe and erasing a signature.

No CSRF tokens on the public side. The sign form is anonymous and proves nothing by
itself: a signature counts only after its signer opens the link mailed to them and
presses the button on the confirmation page (double opt-in), so a forged cross-site
post can at most make us mail that link to an address the forger already knew, which
anyone can do by typing it in. Without a token, the petition page, form included, is
the same for everyone and is cached whole (cases.public.views), and the public pages
set no cookie. The pages behind the mailed links (confirm, unsubscribe, erase) act on
a signed token in their URL, which is the secret a CSRF token would be; unsubscribing
must also take the one-click POST of RFC 8058, which mail providers send without one.

The sign view does as little as it can, in this order: refuse an oversized body before
reading it; count the client's rate limits in the cache (a hard limit answers 429 and
stops there) and, in the same round trip to Redis, read the petition's cached lookup;
count the petition's limits (a second round trip); validate the form; check the proof
of work when the petition, a surge or the client calls for it; then one transaction
(cases.public.signing.signature_create). The answer to a signature, a repeat of one or
a quietly `suspect` one is the same redirect to the same thank-you page.

Mail scanners open links to see what they lead to, so GET never changes anything: the
confirmation, unsubscribe and erase links show a page with a button that POSTs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from cases import ratelimit
from cases.accounts.throttling import client_ip
from cases.public import signing
from cases.public.canonical import canonical_email
from cases.public.forms import ResendForm, SignForm
from cases.public.views import _languages

# A filled-in form is a few kilobytes (a 500-character comment in a four-byte script,
# a proof-of-work solution): anything much larger is refused before it is read.
MAX_BODY = 64 * 1024
THANKS_MAX_AGE = 300  # the thank-you page is the same for every signer

# Asking for the link again, as the staff's password reset: per client address and per
# address typed; past either the page answers as usual and nothing is sent.
RESEND_WINDOW = 60 * 60
RESENDS_PER_IP = 10
RESENDS_PER_ADDRESS = 3
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")  # as the URLs' <slug:…>, for ?petition=
# Challenges cost the server one PBKDF2 each.
CHALLENGES_PER_IP = 30  # a minute


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    target: signing.SigningTarget | None = None,
    public_max_age: int = 0,
) -> HttpResponse:
    """A public page of the signing path, in public/base.html. Only the thank-you page
    may be kept by caches; the rest answer one person (their input, their link)."""
    language = translation.get_language()
    title = context.get("page_title", "")
    share_url = (
        reverse("public:petition_detail", kwargs={"slug": target.slug})
        if target is not None
        else reverse("public:petition_list")
    )
    response = render(
        request,
        template,
        {
            "languages": _languages(request),
            "petition_title": target.title(language) if target else "",
            "petition_url": share_url,
            # The shared page is the petition's, never a link's own address (its token).
            "share_title": title,
            "share_description": "",
            "share_url": request.build_absolute_uri(share_url),
            "share_image": request.build_absolute_uri(static("img/share.png")),
            "share_locale": translation.to_locale(language),
            **context,
        },
        status=status,
    )
    if public_max_age:
        patch_cache_control(response, public=True, max_age=public_max_age)
    else:
        add_never_cache_headers(response)
    return response


def _refused(
    request: HttpRequest,
    reason: str,
    *,
    status: int,
    target: signing.SigningTarget | None = None,
) -> HttpResponse:
    return _page(
        request,
        "public/sign_refused.html",
        {"reason": reason, "page_title": translation.gettext("Not signed")},
        status=status,
        target=target,
    )


def _redirect(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # See Other: the browser GETs the page
    return response


def _too_big(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY
    except ValueError:
        return True


def _form_page(
    request: HttpRequest,
    target: signing.SigningTarget,
    form: SignForm,
    *,
    proof_of_work: bool,
    asked: bool = False,
) -> HttpResponse:
    """The form again, with the signer's input: its errors, or the proof-of-work step."""
    return _page(
        request,
        "public/sign_form.html",
        {
            "petition": target,
            "sign_form": form,
            "proof_of_work_required": proof_of_work,
            "proof_of_work_asked": asked,
            "page_title": target.title(translation.get_language()),
        },
        target=target,
    )


@csrf_exempt  # anonymous and double opt-in: see the module's docstring
@require_http_methods(["GET", "HEAD", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseRedirect(
            reverse("public:petition_detail", kwargs={"slug": slug}) + "#sign-heading"
        )
    if _too_big(request):
        return _refused(request, "too_big", status=413)
    address = client_ip(request)
    client, target = signing.client_limits_and_target(address, slug)  # one round trip
    if client.refused:
        response = _refused(request, "limited", status=429)
        response["Retry-After"] = str(client.retry_after)
        return response
    if target is None:
        raise Http404
    if not target.accepts_signatures:
        return _refused(request, "closed", status=403, target=target)
    everyone_proves = signing.petition_limits_hit(target)
    try:
        data = request.POST
    except RequestDataTooBig:
        return _refused(request, "too_big", status=413)
    except TooManyFieldsSent:
        return _refused(request, "too_big", status=400)

    form = SignForm(data)
    proof_of_work = everyone_proves or client.suspect
    if not form.is_valid():
        return _form_page(request, target, form, proof_of_work=proof_of_work)
    if proof_of_work and not signing.solution_accepted(data.get(signing.POW_FIELD), target):
        return _form_page(request, target, form, proof_of_work=True, asked=True)

    fields = form.cleaned_data
    signing.signature_create(
        target=target,
        name=fields["name"],
        email=fields["email"],
        country=fields["country"],
        postcode=fields["postcode"],
        comment=fields["comment"],
        show_publicly=fields["show_publicly"],
        send_updates=fields["send_updates"],
        language=translation.get_language(),
        address=address,
        suspect=bool(form.suspect_reasons()),
        send_mail=not form.trapped,
        site=_site(request),
    )
    return _redirect(reverse("public:thanks", kwargs={"slug": target.slug}))


@require_safe
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    target = signing.signing_target(slug)
    if target is None:
        raise Http404
    return _page(
        request,
        "public/sign_thanks.html",
        {
            "page_title": translation.gettext("Check your email"),
            "resend_url": reverse("public:resend") + f"?petition={target.slug}",
            "days": signing.CONFIRM_WITHIN.days,
        },
        target=target,
        public_max_age=THANKS_MAX_AGE,
    )


@require_safe
def challenge(request: HttpRequest, slug: str) -> JsonResponse:
    """A fresh proof-of-work challenge, fetched by static/js/sign.js when someone starts
    filling in the form of a petition that asks for one. Never cached."""
    if ratelimit.hit(("sign-challenge", client_ip(request)), limit=CHALLENGES_PER_IP, window=60):
        response = JsonResponse({"error": "too many requests"}, status=429)
        response["Retry-After"] = "60"
    else:
        target = signing.signing_target(slug)
        if target is None:
            raise Http404
        response = JsonResponse(signing.new_challenge(target))
    add_never_cache_headers(response)
    return response


def _link_problem(request: HttpRequest, problem: signing.LinkProblem) -> HttpResponse:
    status = {"invalid": 400, "expired": 410, "gone": 410}[problem.kind]
    target = signing.signing_target(problem.petition_slug) if problem.petition_slug else None
    return _page(
        request,
        "public/sign_link_problem.html",
        {
            "problem": problem.kind,
            "page_title": translation.gettext("This link does not work"),
            "resend_form": ResendForm(initial={"petition": target.slug}) if target else None,
        },
        status=status,
        target=target,
    )


@csrf_exempt  # the token in the address is the secret; see the module's docstring
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signature = signing.signature_for_token(token, signing.Link.CONFIRM)
    except signing.LinkProblem as problem:
        return _link_problem(request, problem)
    target = signing.signing_target(signature.petition.slug)
    if request.method == "POST":
        outcome = signing.signature_confirm(signature=signature)
    elif signature.confirmed_at is not None:
        outcome = signing.Confirmed.BEFORE
    elif not signature.petition.accepts_signatures:
        outcome = signing.Confirmed.CLOSED
    else:
        outcome = None  # the page with the button
    return _page(
        request,
        "public/sign_confirm.html",
        {"outcome": outcome or "", "page_title": translation.gettext("Confirm your signature")},
        status=403 if outcome == signing.Confirmed.CLOSED else 200,
        target=target,
    )


@csrf_exempt  # anonymous; does the same for every address: see the module's docstring
@require_http_methods(["GET", "HEAD", "POST"])
def resend(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        slug = request.GET.get("petition", "")
        target = signing.signing_target(slug) if SLUG.fullmatch(slug) else None
        form = ResendForm(initial={"petition": target.slug}) if target else None
        return _page(
            request,
            "public/sign_resend.html",
            {"form": form, "page_title": translation.gettext("Send the link again")},
            target=target,
        )
    if _too_big(request):
        return _refused(request, "too_big", status=413)
    form = ResendForm(request.POST)
    if not form.is_valid():
        return _page(
            request,
            "public/sign_resend.html",
            {"form": form, "page_title": translation.gettext("Send the link again")},
        )
    target = signing.signing_target(form.cleaned_data["petition"])
    if target is None:
        raise Http404
    email = form.cleaned_data["email"]
    over_ip = ratelimit.hit(
        ("sign-resend", "ip", client_ip(request)), limit=RESENDS_PER_IP, window=RESEND_WINDOW
    )
    over_address = ratelimit.hit(
        ("sign-resend", "email", canonical_email(email)),
        limit=RESENDS_PER_ADDRESS,
        window=RESEND_WINDOW,
    )
    if not (over_ip or over_address) and target.accepts_signatures:
        signing.signature_resend(target=target, email=email, site=_site(request))
    return _page(
        request,
        "public/sign_resend.html",
        {"sent": True, "page_title": translation.gettext("Send the link again")},
        target=target,
    )


def _mailed_link(
    request: HttpRequest,
    token: str,
    link: signing.Link,
    act: Callable[..., object],
    template: str,
    title: str,
) -> HttpResponse:
    """A link from a signer's mail: GET shows what it will do, POST does it."""
    try:
        signature = signing.signature_for_token(token, link)
    except signing.LinkProblem as problem:
        return _link_problem(request, problem)
    done = request.method == "POST"
    if done:
        act(signature=signature)
    return _page(
        request,
        template,
        {"done": done, "page_title": title},
        target=signing.signing_target(signature.petition.slug),
    )


@csrf_exempt  # RFC 8058 one-click: the mail provider POSTs without a CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return _mailed_link(
        request,
        token,
        signing.Link.UNSUBSCRIBE,
        signing.signature_unsubscribe,
        "public/sign_unsubscribe.html",
        translation.gettext("No more mail"),
    )


@csrf_exempt  # the token in the address is the secret; see the module's docstring
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request: HttpRequest, token: str) -> HttpResponse:
    return _mailed_link(
        request,
        token,
        signing.Link.ERASE,
        signing.signature_erase,
        "public/sign_erase.html",
        translation.gettext("Erase your signature"),
    )


# Included by cases.public.urls in the "public" namespace, under the language prefix.
# They must come before `petitions/<slug>/` there, or "resend" would be read as a slug.
sign_urlpatterns: list[URLPattern] = [
    path("petitions/confirm/<str:token>/", confirm, name="confirm"),
    path("petitions/resend/", resend, name="resend"),
    path("petitions/unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path("petitions/erase/<str:token>/", erase, name="erase"),
    path("petitions/<slug:slug>/sign/", sign, name="sign"),
    path("petitions/<slug:slug>/thanks/", thanks, name="thanks"),
    path("petitions/<slug:slug>/challenge/", challenge, name="sign_challenge"),
]
