"""The staff admin of petitions and their signatures.

- Petitions with their texts per language. The families menu offers only the cases the
  user may open (`cases.access.visible`), and a save never unlinks a case the user
  cannot see. Publishing and closing go through `cases.petitions`, so each lands on
  the linked cases' timelines and the audit trail. Every save forgets the cached pages.
  The delivery pack's downloads (PDF, CSV) are `DeliveryPackAdmin`'s, in its own module.
  Recording the delivery and the response is `DeliveryRecordAdmin`'s, the share picture
  `ShareImageAdmin`'s (each in its own module).
- Signatures: search, filters, and moderation for holders of
  `cases.moderate_signatures` (petition editors, supervisors): invalidate the selected
  ones or all that a rule names (the count shown before confirming), accept suspects.
  Every invalidation goes through `cases.petitions.signatures_invalidate` and is
  recorded; nothing is ever deleted here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries
from django_countries.filters import CountryFilter

from cases import access, petitions
from cases.admin.base import AuditedSaves, ReadOnlyAdmin
from cases.admin.delivery_pack import DeliveryPackAdmin
from cases.admin.delivery_record import DeliveryRecordAdmin
from cases.admin.share_image import SHARE_IMAGE_FIELDS, ShareImageAdmin
from cases.audit import audit_record
from cases.models import (
    AuditEvent,
    Family,
    Petition,
    PetitionText,
    Signature,
    SignatureInvalidation,
)
from cases.public import counting, pages
from reunite.admin import GuardedModelAdmin

MODERATE = "cases.moderate_signatures"


class PetitionTextFormSet(forms.BaseInlineFormSet):
    """A petition that supporters can see keeps its text in its fallback language."""

    def clean(self) -> None:
        super().clean()
        petition = self.instance
        if petition.pk is None or petition.status == Petition.Status.DRAFT:
            return
        kept = {
            form.cleaned_data.get("language")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        }
        if petition.fallback_language not in kept:
            raise ValidationError(
                _("A published petition keeps its text in its fallback language (%(lang)s).")
                % {"lang": petition.get_fallback_language_display()},
                code="fallback_text",
            )


class PetitionTextInline(admin.StackedInline):
    model = PetitionText
    formset = PetitionTextFormSet
    extra = 0
    min_num = 1
    fields = ["language", "title", "summary", "letter", "demands"]


@admin.register(Petition)
class PetitionAdmin(
    ShareImageAdmin, DeliveryRecordAdmin, DeliveryPackAdmin, AuditedSaves, GuardedModelAdmin
):
    inlines = [PetitionTextInline]
    # Who may download the delivery pack (cases/admin/delivery_pack.py): every signer's name.
    pack_permission = MODERATE
    list_display = ["slug", "title", "status", "signature_count", "opens_on", "closes_on"]
    list_filter = ["status"]
    search_fields = ["slug", "texts__title"]
    actions = ["publish", "close"]
    readonly_fields = [
        "status",
        "signature_count",
        "count_updated_at",
        "public_response",
        "created_at",
        "updated_at",
        "share_image_preview",
    ]
    fieldsets = [
        (None, {"fields": ["slug", "status", "families"]}),
        (_("Dates"), {"fields": ["opens_on", "closes_on"]}),
        (
            _("Addressee"),
            {
                "fields": [
                    "addressee_name",
                    "addressee_title",
                    "addressee_body",
                    "addressee_government",
                    "addressee_address",
                    "salutation",
                ]
            },
        ),
        (
            _("Signatures"),
            {"fields": ["fallback_language", "goal", "proof_of_work", "signature_count"]},
        ),
        (_("Sharing"), {"fields": SHARE_IMAGE_FIELDS}),
        (_("Record"), {"fields": ["public_response", "count_updated_at", "created_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("texts")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Petition.Status.DRAFT:
            fields.append("slug")  # its address is out in the world: links must keep working
        return fields

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "families" and field is not None:
            field.queryset = access.visible(Family.objects.all(), request.user)
        return field

    @admin.display(description=_("title"))
    def title(self, obj: Petition) -> str:
        texts = {text.language: text.title for text in obj.texts.all()}
        return texts.get(obj.fallback_language) or next(iter(texts.values()), "")

    @admin.display(description=_("government's response"))
    def public_response(self, obj: Petition) -> str:
        contact = obj.response
        if contact is None:
            return "—"
        return f"{contact.body}, {contact.response_on or contact.contacted_on}"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        """Shows, per linked case this user may open, what of its story the page shows
        (templates/admin/cases/petition/change_form.html)."""
        petition = self.get_object(request, object_id)
        stories = []
        if petition is not None:
            stories = [
                (str(family), pages.story_withheld_reason(family) or _("Public summary shown."))
                for family in access.visible(petition.families.all(), request.user)
            ]
        extra_context = {**(extra_context or {}), "public_stories": stories}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a draft: a public petition has signers and a place on cases' timelines.
        return (
            obj is not None
            and obj.status == Petition.Status.DRAFT
            and super().has_delete_permission(request, obj)
        )

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool
    ) -> None:
        petition = form.instance
        # The menu held only the cases this user may open: links to the others stay.
        hidden = list(
            petition.families.exclude(
                pk__in=access.visible(Family.objects.all(), request.user)
            ).values_list("pk", flat=True)
        )
        super().save_related(request, form, formsets, change)
        if hidden:
            petition.families.add(*hidden)
        counting.forget_pages_on_commit(petition)

    def delete_model(self, request: HttpRequest, obj: Petition) -> None:
        audit_record(action=AuditEvent.Action.DELETE, request=request, obj=obj)
        counting.forget_pages_on_commit(obj)
        super().delete_model(request, obj)

    def _change_status(self, request: HttpRequest, queryset: QuerySet, service: Any) -> None:
        done = 0
        for petition in queryset:
            try:
                service(petition=petition, actor=request.user)
            except ValidationError as error:
                self.message_user(
                    request, f"{petition.slug}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(n)d petition changed.", "%(n)d petitions changed.", done) % {"n": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Publish the selected petitions"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._change_status(request, queryset, petitions.petition_publish)

    @admin.action(
        description=_("Close the selected petitions to signatures"), permissions=["change"]
    )
    def close(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._change_status(request, queryset, petitions.petition_close)


# --- Signatures -------------------------------------------------------------------------


class InvalidationRuleForm(forms.Form):
    """Which signatures of a petition to invalidate: every part given must match."""

    petition = forms.ModelChoiceField(
        label=_("petition"), queryset=Petition.objects.public().order_by("slug")
    )
    email_domain = forms.CharField(
        label=_("email domain"), required=False, max_length=254, help_text=_("e.g. example.com")
    )
    ip_hash = forms.CharField(label=_("address hash"), required=False, max_length=64)
    created_from = forms.DateTimeField(
        label=_("signed from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    created_to = forms.DateTimeField(
        label=_("signed until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    name_pattern = forms.CharField(
        label=_("name pattern"),
        required=False,
        max_length=200,
        help_text=_("A regular expression, matched without regard to case."),
    )
    country = forms.ChoiceField(label=_("country"), required=False, choices=[("", "—"), *countries])
    # The count the moderator was shown; the rule is applied only if it still holds.
    expected = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def rule(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in petitions.RULE_FIELDS
            if self.cleaned_data.get(name) not in (None, "")
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("petition") is not None and not self.errors:
            try:
                self.matching = petitions.signatures_matching(
                    cleaned["petition"], self.rule()
                ).exclude(state=Signature.State.INVALIDATED)
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from None
        return cleaned


@admin.register(Signature)
class SignatureAdmin(GuardedModelAdmin):
    list_display = ["name", "email", "country", "state", "petition", "created_at", "confirmed_at"]
    list_filter = ["state", ("country", CountryFilter), "petition"]
    search_fields = ["name", "email", "email_canonical"]
    list_select_related = ["petition"]
    date_hierarchy = "created_at"
    actions = ["invalidate_selected", "accept_suspects"]
    change_list_template = "admin/cases/signature/change_list.html"
    readonly_fields = [
        "petition",
        "name",
        "email",
        "email_canonical",
        "country",
        "postcode",
        "comment",
        "show_publicly",
        "send_updates",
        "state",
        "language",
        "ip_hash",
        "created_at",
        "confirmed_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # supporters sign on the public pages

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a signature is the signer's words; moderation changes only its state

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # never a hard delete: invalidate, with a record

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MODERATE)

    @admin.action(description=_("Invalidate the selected signatures"), permissions=["moderate"])
    def invalidate_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        by_petition: dict[int, list[int]] = {}
        for petition_id, pk in queryset.values_list("petition_id", "pk"):
            by_petition.setdefault(petition_id, []).append(pk)
        total = 0
        for petition in Petition.objects.filter(pk__in=by_petition):
            record = petitions.signatures_invalidate(
                petition=petition,
                rule={"signature_ids": sorted(by_petition[petition.pk])},
                actor=request.user,
            )
            total += record.count
        self.message_user(
            request,
            ngettext("%(n)d signature invalidated.", "%(n)d signatures invalidated.", total)
            % {"n": total},
            messages.SUCCESS,
        )

    @admin.action(description=_("Accept the selected suspect signatures"), permissions=["moderate"])
    def accept_suspects(self, request: HttpRequest, queryset: QuerySet) -> None:
        accepted = petitions.signatures_accept(signatures=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(n)d suspect signature accepted.", "%(n)d suspect signatures accepted.", accepted
            )
            % {"n": accepted},
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "invalidate-by-rule/",
                self.admin_site.admin_view(self.invalidate_by_rule_view),
                name="cases_signature_invalidate_by_rule",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra_context = {
            **(extra_context or {}),
            "may_moderate": self.has_moderate_permission(request),
        }
        response = super().changelist_view(request, extra_context)
        # Supporters' names and addresses: each list and search is recorded, as for cases.
        if request.method == "GET" and getattr(response, "status_code", None) == 200:
            audit_record(
                action=AuditEvent.Action.VIEW,
                request=request,
                detail="cases.signature list" + (" search" if request.GET.get("q") else ""),
            )
        return response

    def invalidate_by_rule_view(self, request: HttpRequest) -> HttpResponse:
        """A rule, then the number of signatures it names, then (confirmed) the
        invalidation. If the number changed in between, it is shown again first."""
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        count = None
        if request.method == "POST":
            form = InvalidationRuleForm(request.POST)
            if form.is_valid():
                count = form.matching.count()
                confirmed = "_confirm" in request.POST
                if confirmed and form.cleaned_data.get("expected") == count:
                    record = petitions.signatures_invalidate(
                        petition=form.cleaned_data["petition"],
                        rule=form.rule(),
                        actor=request.user,
                    )
                    self.message_user(
                        request,
                        ngettext(
                            "%(n)d signature invalidated.",
                            "%(n)d signatures invalidated.",
                            record.count,
                        )
                        % {"n": record.count},
                        messages.SUCCESS,
                    )
                    return redirect(reverse("admin:cases_signature_changelist"))
                if confirmed:
                    self.message_user(
                        request,
                        _("The number of matching signatures changed: check it again."),
                        messages.WARNING,
                    )
                data = request.POST.copy()
                data["expected"] = str(count)
                form = InvalidationRuleForm(data)
                form.is_valid()
        else:
            form = InvalidationRuleForm(initial={"petition": request.GET.get("petition")})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Invalidate signatures by rule"),
            "form": form,
            "count": count,
        }
        return TemplateResponse(request, "admin/cases/signature/invalidate_by_rule.html", context)


@admin.register(SignatureInvalidation)
class SignatureInvalidationAdmin(ReadOnlyAdmin, GuardedModelAdmin):
    """Who invalidated which signatures, by which rule, how many: read only."""

    list_display = ["at", "petition", "count", "rule", "actor"]
    list_filter = ["petition"]
    list_select_related = ["petition", "actor"]
