"""The staff member's own page for the weekly digest (cases/digest.py): on or off, and
in which language. Thin: the choice is saved by `digest.digest_preference_set`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cases import digest
from cases.accounts import verified_staff_required
from cases.dashboard import follows_cases
from cases.models import DigestPreference


class DigestPreferenceForm(forms.ModelForm):
    class Meta:
        model = DigestPreference
        fields = ["weekly_digest"]


@verified_staff_required
@never_cache
def weekly_digest(request: HttpRequest) -> HttpResponse:
    """Turn the weekly digest on or off. It is written in the language this page is in
    when the choice is saved."""
    user = request.user
    preference = DigestPreference.objects.filter(user=user).first() or DigestPreference(user=user)
    # An unticked box posts nothing: an empty POST is still a choice.
    posted = request.method == "POST"
    form = DigestPreferenceForm(request.POST if posted else None, instance=preference)
    if posted and form.is_valid():
        digest.digest_preference_set(
            user=user,
            weekly_digest=form.cleaned_data["weekly_digest"],
            language=get_language() or "",
        )
        messages.success(
            request,
            _("The weekly digest is on.")
            if form.cleaned_data["weekly_digest"]
            else _("The weekly digest is off."),
        )
        return redirect("staff:weekly_digest")
    context = {"form": form, "follows_cases": follows_cases(user), "has_email": bool(user.email)}
    return render(request, "staff/weekly_digest.html", context)
