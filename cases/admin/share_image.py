"""A petition's own share picture, uploaded on its admin page.

A mixin of `PetitionAdmin`. The upload is a field of the petition's form, not of the
model: the form has `cases.images` decode and re-encode it while it validates, so a
file that is not a real PNG, JPEG or WebP picture, or is too large, is an error beside
the field; the save stores the result through `cases.petitions.petition_set_share_image`
(audited, the cached pages forgotten). What is shown and stored is never the upload
itself. The preview is served from this admin (a draft's picture is not public yet).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import images, petitions
from cases.models import Petition, PetitionShareImage

SHARE_IMAGE_FIELDS = ["share_image_preview", "share_image_upload", "share_image_remove"]


class ShareImageForm(forms.ModelForm):
    """The petition's form with its share picture: a new one, or none (the site's)."""

    share_image_upload = forms.FileField(
        label=gettext_lazy("new share image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=gettext_lazy(
            "A PNG, JPEG or WebP picture, shown where the petition's links are shared. "
            "It is cropped to 1200×630 and stored without its metadata (location, camera)."
        ),
    )
    share_image_remove = forms.BooleanField(
        label=gettext_lazy("remove the share image"),
        required=False,
        help_text=gettext_lazy("The pages then show the site's own picture."),
    )

    def clean_share_image_upload(self) -> images.ShareImage | None:
        upload = self.cleaned_data.get("share_image_upload")
        return images.share_image(upload) if upload else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("share_image_upload") and cleaned.get("share_image_remove"):
            self.add_error(
                "share_image_remove", _("Upload a new share image or remove it, not both.")
            )
        return cleaned


class ShareImageAdmin:
    """The upload, the removal and the preview of a petition's share picture."""

    form = ShareImageForm

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/share-image/",
                self.admin_site.admin_view(self.share_image_view),
                name="cases_petition_share_image",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("share image"))
    def share_image_preview(self, obj: Petition | None) -> str:
        digest = None
        if obj is not None and obj.pk is not None:
            digest = (
                PetitionShareImage.objects.filter(petition=obj)
                .values_list("digest", flat=True)
                .first()
            )
        if digest is None:
            return _("None: the pages show the site's own picture.")
        return format_html(
            '<img src="{}?v={}" width="400" height="210" alt="{}">',
            reverse("admin:cases_petition_share_image", args=[obj.pk]),
            digest,
            _("The petition's share image"),
        )

    def save_model(
        self, request: HttpRequest, obj: Petition, form: forms.Form, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        image = form.cleaned_data.get("share_image_upload")
        if image is not None:
            petitions.petition_set_share_image(petition=obj, upload=image, actor=request.user)
        elif form.cleaned_data.get("share_image_remove"):
            petitions.petition_remove_share_image(petition=obj, actor=request.user)

    def share_image_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The stored picture, for the preview: to whoever may view the petition."""
        petition = self.get_object(request, unquote(object_id))
        if petition is None:
            raise Http404(_("No such record."))
        if not self.has_view_permission(request, petition):
            raise PermissionDenied
        data = (
            PetitionShareImage.objects.filter(petition=petition)
            .values_list("data", flat=True)
            .first()
        )
        if data is None:
            raise Http404(_("No such record."))
        response = HttpResponse(bytes(data), content_type=images.CONTENT_TYPE)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
