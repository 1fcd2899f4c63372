"""The picture a petition's links show where they are shared, and its address.

A petition may have its own picture (`PetitionShareImage`, uploaded in the petition
admin and re-encoded by `cases.images`); otherwise the pages share the site's
img/share.png. Only a public petition's picture is served: a draft's answers 404, as a
missing one does. It is served from the database at /petitions/<slug>/share.jpg, the
same in every language; the page links it with `?v=<digest>`, and that address may be
cached for a year, since a new picture has a new digest. The bare address (one shared
before the picture changed) is cached briefly.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from cases import images
from cases.models import Petition, PetitionShareImage

SITE_IMAGE = "img/share.png"  # 1200×630, like every petition's own
ONE_YEAR = 365 * 24 * 60 * 60
UNVERSIONED_MAX_AGE = 10 * 60


@dataclass(frozen=True)
class ShareImageRef:
    """What a page's Open Graph and Twitter tags say about its picture."""

    url: str  # absolute
    content_type: str
    width: int
    height: int
    own: bool  # the petition's own picture, not the site's


def _public(queryset: QuerySet[PetitionShareImage]) -> QuerySet[PetitionShareImage]:
    return queryset.exclude(petition__status=Petition.Status.DRAFT)


def share_image_ref(request: HttpRequest, petition_id: int | None = None) -> ShareImageRef:
    """The picture of the public petition `petition_id` if it has one, else the site's."""
    row = None
    if petition_id is not None:
        row = (
            _public(PetitionShareImage.objects.filter(petition_id=petition_id))
            .values_list("petition__slug", "digest", "width", "height")
            .first()
        )
    if row is None:
        width, height = images.SHARE_SIZE
        return ShareImageRef(
            url=request.build_absolute_uri(static(SITE_IMAGE)),
            content_type="image/png",
            width=width,
            height=height,
            own=False,
        )
    slug, digest, width, height = row
    path = reverse("public_data:share_image", kwargs={"slug": slug})
    return ShareImageRef(
        url=request.build_absolute_uri(f"{path}?{urlencode({'v': digest})}"),
        content_type=images.CONTENT_TYPE,
        width=width,
        height=height,
        own=True,
    )


@require_safe
def petition_share_image(request: HttpRequest, slug: str) -> HttpResponse:
    """/petitions/<slug>/share.jpg: the public petition's own picture, as re-encoded."""
    row = (
        _public(PetitionShareImage.objects.filter(petition__slug=slug))
        .values_list("data", "digest")
        .first()
    )
    if row is None:
        raise Http404
    data, digest = row
    etag = f'"{digest}"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        bytes(data), content_type=images.CONTENT_TYPE
    )
    response.headers["ETag"] = etag
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.GET.get("v") == digest:
        patch_cache_control(response, public=True, max_age=ONE_YEAR, immutable=True)
    else:
        patch_cache_control(response, public=True, max_age=UNVERSIONED_MAX_AGE)
    return response
