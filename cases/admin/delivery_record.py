"""Recording, on a petition's admin page, its delivery and the government's response.

A mixin of `PetitionAdmin`, in its own module so its URLs, forms and views stay apart
from the petition's editing. Both are small forms behind buttons on the change page,
for whoever may change the petition (anyone else: 403), and both go through
`cases.petitions`, which writes the status, the linked cases' timelines and the audit
trail. A petition whose status cannot move that way (only a closed petition is
delivered, only a delivered one answered) gets the rule as a message, never a form.

- Delivery: the date (as precise as known) and the channel; the service adds a
  government contact to every linked case.
- Response: one of the government contacts on the petition's cases *that the user may
  open* (`cases.access`). A contact on a case hidden from them is neither offered nor
  accepted: a posted id of one is a form error, and nothing changes. Answers come first,
  those since the delivery first among them; a response not recorded yet is added on
  its case first (links to that are on the page).

Afterwards the cached pages of every petition showing one of these cases are forgotten:
a petition's milestones are on its cases' public timelines.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Q, QuerySet, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import access, petitions
from cases.models import GovernmentContact, Petition, PetitionEvent
from cases.partial_dates import PartialDate, PartialDateFormField, validate_not_in_future
from cases.public import pages
from cases.text import isolate

Status = Petition.Status
STEP_TEMPLATE = "admin/cases/petition/record_step.html"


class DeliveryForm(forms.Form):
    delivered_on = PartialDateFormField(
        label=gettext_lazy("delivered on"), validators=[validate_not_in_future]
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("channel"),
        choices=GovernmentContact.Channel.choices,
        initial=GovernmentContact.Channel.LETTER,
    )


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: GovernmentContact) -> str:
        parts = [
            str(obj.family),
            obj.contacted_on.display() if obj.contacted_on else "",
            str(obj.get_direction_display()),
            isolate(obj.body),
        ]
        if obj.response_on:
            parts.append(_("answered %(date)s") % {"date": obj.response_on.display()})
        return " · ".join(part for part in parts if part)


class ResponseForm(forms.Form):
    contact = ContactChoiceField(
        label=gettext_lazy("the government's response"),
        queryset=GovernmentContact.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, contacts: QuerySet[GovernmentContact], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts


def response_candidates(petition: Petition, user: AbstractBaseUser) -> QuerySet[GovernmentContact]:
    """The government contacts on the petition's cases that `user` may open: answers
    first (they stated, or a response is recorded), those dated since the delivery first
    among them, then the newest."""
    delivered_at = (
        petition.events.filter(kind=PetitionEvent.Kind.STATUS, status=Status.DELIVERED)
        .values_list("at", flat=True)
        .last()
    )
    since = ""
    if delivered_at is not None:
        since = str(PartialDate.from_date(timezone.localdate(delivered_at)))
    contacts = access.visible(
        GovernmentContact.objects.filter(family__in=petition.families.all()), user
    )
    answered = Q(direction=GovernmentContact.Direction.THEY_STATED) | ~Q(response_on="")
    recent = Q(contacted_on__gte=since) | Q(response_on__gte=since)
    return (
        contacts.select_related("family")
        .annotate(
            unanswered=Case(When(answered, then=0), default=1),
            earlier=Case(When(recent, then=0), default=1),
        )
        .order_by("unanswered", "earlier", "-contacted_on", "-pk")
    )


def _forget_linked_pages(petition: Petition) -> None:
    for family_id in petition.families.values_list("pk", flat=True):
        transaction.on_commit(partial(pages.forget_family_pages, family_id))


class DeliveryRecordAdmin:
    """Adds "Record delivery" and "Record the government's response" to a petition's
    admin page."""

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/record-delivery/",
                self.admin_site.admin_view(self.record_delivery_view),
                name="cases_petition_record_delivery",
            ),
            path(
                "<path:object_id>/record-response/",
                self.admin_site.admin_view(self.record_response_view),
                name="cases_petition_record_response",
            ),
            *super().get_urls(),
        ]

    def record_delivery_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        petition, refused = self._petition_to_move(request, object_id, Status.DELIVERED)
        if refused is not None:
            return refused
        form = DeliveryForm(request.POST) if request.method == "POST" else DeliveryForm()

        def record(data: dict[str, Any]) -> object:
            return petitions.petition_record_delivery(
                petition=petition,
                actor=request.user,
                delivered_on=data["delivered_on"],
                channel=data["channel"],
            )

        return self._step(
            request,
            petition,
            form,
            record,
            done=_("The delivery is recorded, as a government contact on each of its cases."),
            title=_("Record the delivery of “%(slug)s”") % {"slug": petition.slug},
            intro=_(
                "Each case the petition is linked to gets a government contact (“we "
                "asked”) with the number of signatures, %(count)d; the petition becomes "
                "delivered."
            )
            % {"count": petition.signature_count},
            submit=_("Record the delivery"),
        )

    def record_response_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        petition, refused = self._petition_to_move(request, object_id, Status.RESPONDED)
        if refused is not None:
            return refused
        contacts = response_candidates(petition, request.user)
        form = (
            ResponseForm(request.POST, contacts=contacts)
            if request.method == "POST"
            else ResponseForm(contacts=contacts)
        )

        def record(data: dict[str, Any]) -> object:
            return petitions.petition_record_response(
                petition=petition, contact=data["contact"], actor=request.user
            )

        return self._step(
            request,
            petition,
            form,
            record,
            done=_("The government's response is recorded and shown on the petition's page."),
            title=_("Record the government's response to “%(slug)s”") % {"slug": petition.slug},
            intro=_(
                "Choose the government contact that records the answer: its body, date, "
                "outcome and summary are shown on the petition's page."
            ),
            submit=_("Record the response"),
            has_choices=contacts.exists(),
            add_contact_links=self._add_contact_links(request, petition),
        )

    # --- Shared by both steps ----------------------------------------------------------

    def _petition_to_move(
        self, request: HttpRequest, object_id: str, status: str
    ) -> tuple[Petition, HttpResponse | None]:
        """The petition, if this user may change it (else 403) and it may become `status`
        (else a redirect to its page with the rule as a message)."""
        petition = self.get_object(request, unquote(object_id))
        if petition is None:
            raise Http404(_("No such record."))
        if not self.has_change_permission(request, petition):
            raise PermissionDenied
        try:
            petitions.check_transition(petition.status, status)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return petition, redirect(self._change_url(petition))
        return petition, None

    def _step(
        self,
        request: HttpRequest,
        petition: Petition,
        form: forms.Form,
        record: Callable[[dict[str, Any]], object],
        *,
        done: str,
        **page: Any,
    ) -> HttpResponse:
        """A valid form's data recorded by `record` (a service call), then back to the
        petition's page with `done`; otherwise the form (again, if the service refused)."""
        if form.is_bound and form.is_valid():
            try:
                record(form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                _forget_linked_pages(petition)
                self.message_user(request, done, messages.SUCCESS)
                return redirect(self._change_url(petition))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": petition,
            "form": form,
            "media": self.media + form.media,
            **page,
        }
        return TemplateResponse(request, STEP_TEMPLATE, context)

    def _change_url(self, petition: Petition) -> str:
        return reverse("admin:cases_petition_change", args=[petition.pk])

    def _add_contact_links(self, request: HttpRequest, petition: Petition) -> list[tuple]:
        """Adding a contact on each linked case this user may open, if they may add one."""
        if not request.user.has_perm("cases.add_governmentcontact"):
            return []
        add = reverse("admin:cases_governmentcontact_add")
        return [
            (str(family), f"{add}?family={family.pk}")
            for family in access.visible(petition.families.order_by("pk"), request.user)
        ]
