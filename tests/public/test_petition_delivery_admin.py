"""Recording a petition's delivery and the government's response from its admin page:
through the services, only in the status that allows it, only by who may change
petitions, and never with a contact on a case the user may not open."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cases import petitions
from cases.models import GovernmentContact, Petition, PetitionEvent
from cases.partial_dates import PartialDate
from tests.factories import FamilyFactory, GovernmentContactFactory, UserFactory
from tests.public.conftest import make_petition

pytestmark = pytest.mark.django_db

DELIVERY = "admin:cases_petition_record_delivery"
RESPONSE = "admin:cases_petition_record_response"


def change_url(petition):
    return reverse("admin:cases_petition_change", args=[petition.pk])


def page_url(petition):
    with translation.override("en"):
        return reverse("public:petition_detail", kwargs={"slug": petition.slug})


@pytest.fixture
def closed(petition):
    """The Tursuns' petition, closed to signatures, also linked to a restricted case."""
    petition.families.add(FamilyFactory(name="Hidden", restricted=True))
    return petitions.petition_close(petition=petition, actor=None)


@pytest.fixture
def delivered(closed):
    petitions.petition_record_delivery(
        petition=closed, actor=None, delivered_on=PartialDate(2025, 11, 14)
    )
    return closed


@pytest.fixture
def editor_on_one_case(worker):
    """A caseworker who also edits petitions: opens the Tursuns' case, not the hidden one."""
    worker.groups.add(Group.objects.get(name="Petition editor"))
    return worker


# --- Delivery ----------------------------------------------------------------------------


def test_recording_the_delivery_adds_a_contact_on_each_linked_case_and_delivers(
    as_user, supervisor, closed
):
    client = as_user(supervisor)
    assert "Record delivery" in client.get(change_url(closed)).content.decode()

    response = client.post(
        reverse(DELIVERY, args=[closed.pk]), {"delivered_on": "2025-11", "channel": "email"}
    )

    assert response.status_code == 302
    assert response.url == change_url(closed)
    closed.refresh_from_db()
    assert closed.status == Petition.Status.DELIVERED
    contacts = GovernmentContact.objects.all()
    assert sorted(c.family_id for c in contacts) == sorted(
        closed.families.values_list("pk", flat=True)
    )
    assert {(str(c.contacted_on), c.channel) for c in contacts} == {("2025-11", "email")}
    assert PetitionEvent.objects.filter(petition=closed, status="delivered").exists()
    shown = client.get(response.url).content.decode()
    assert "The delivery is recorded" in shown
    assert "Record the government's response" in shown


def test_the_delivery_reaches_the_cached_page_of_another_petition_for_the_same_case(
    as_user, supervisor, closed, django_capture_on_commit_callbacks
):
    family = closed.families.get(name="Tursun")
    other = make_petition("free-the-tursuns", family=family)
    reader = Client()
    reader.get(page_url(other))  # cached, with the Tursuns' story and its milestones

    with django_capture_on_commit_callbacks(execute=True):
        as_user(supervisor).post(
            reverse(DELIVERY, args=[closed.pk]), {"delivered_on": "2025-11", "channel": "letter"}
        )

    assert f"Petition {closed.slug}: Delivered" in reader.get(page_url(other)).content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-13", "Enter a real date"),
        ("14 November", "Enter a real date"),
        ("2099-01", "This date is in the future."),
        ("", "This field is required."),
    ],
)
def test_a_bad_delivery_date_is_a_form_error(as_user, supervisor, closed, value, message):
    response = as_user(supervisor).post(
        reverse(DELIVERY, args=[closed.pk]), {"delivered_on": value, "channel": "letter"}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    closed.refresh_from_db()
    assert closed.status == Petition.Status.CLOSED
    assert not GovernmentContact.objects.exists()


def test_a_petition_still_open_to_signatures_cannot_be_delivered(as_user, supervisor, petition):
    client = as_user(supervisor)

    shown = client.get(reverse(DELIVERY, args=[petition.pk]), follow=True)
    posted = client.post(
        reverse(DELIVERY, args=[petition.pk]), {"delivered_on": "2025-11", "channel": "letter"}
    )

    assert shown.redirect_chain == [(change_url(petition), 302)]
    assert "A petition that is Published cannot become Delivered." in shown.content.decode()
    assert "Record delivery" not in shown.content.decode()
    assert posted.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PUBLISHED
    assert not GovernmentContact.objects.exists()


# --- The government's response ------------------------------------------------------------


def test_recording_the_response_shows_it_on_the_public_page(
    as_user, supervisor, delivered, django_capture_on_commit_callbacks
):
    reader = Client()
    reader.get(page_url(delivered))  # cached: the response must make it forgotten
    family = delivered.families.get(name="Tursun")
    answer = GovernmentContactFactory(
        family=family,
        contacted_on="2025-12-02",
        direction=GovernmentContact.Direction.THEY_STATED,
        body="Ministry of Foreign Affairs",
        summary="The ministry raised the family's case with the embassy.",
        outcome=GovernmentContact.Outcome.PROMISED,
    )
    client = as_user(supervisor)

    form = client.get(reverse(RESPONSE, args=[delivered.pk])).context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(RESPONSE, args=[delivered.pk]), {"contact": answer.pk})

    assert list(form.fields["contact"].queryset)[0] == answer  # an answer comes first
    assert response.status_code == 302
    delivered.refresh_from_db()
    assert (delivered.status, delivered.response) == (Petition.Status.RESPONDED, answer)
    page = reader.get(page_url(delivered)).content.decode()
    assert "The ministry raised the family&#x27;s case with the embassy." in page
    assert "Promised action" in page


def test_a_contact_on_a_hidden_case_is_neither_offered_nor_accepted(
    as_user, editor_on_one_case, delivered
):
    mine = delivered.families.get(name="Tursun")
    mine.caseworkers.add(editor_on_one_case)
    hidden = delivered.families.get(name="Hidden")
    secret = GovernmentContactFactory(
        family=hidden, direction=GovernmentContact.Direction.THEY_STATED, contacted_on="2025-12"
    )
    client = as_user(editor_on_one_case)
    url = reverse(RESPONSE, args=[delivered.pk])

    offered = set(client.get(url).context["form"].fields["contact"].queryset)
    forged = client.post(url, {"contact": secret.pk})

    assert offered == set(GovernmentContact.objects.filter(family=mine))
    assert secret not in offered
    assert forged.status_code == 200
    assert "Select a valid choice" in forged.content.decode()
    delivered.refresh_from_db()
    assert delivered.status == Petition.Status.DELIVERED
    assert delivered.response is None
    assert not PetitionEvent.objects.filter(petition=delivered, status="responded").exists()


def test_without_a_contact_to_choose_the_page_links_to_adding_one(
    as_user, editor_on_one_case, delivered
):
    mine = delivered.families.get(name="Tursun")
    mine.caseworkers.add(editor_on_one_case)
    GovernmentContact.objects.all().delete()

    content = as_user(editor_on_one_case).get(reverse(RESPONSE, args=[delivered.pk]))

    text = content.content.decode()
    assert "has a government contact yet" in text
    assert f"/admin/cases/governmentcontact/add/?family={mine.pk}" in text
    assert "Hidden" not in text


# --- Who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("step", [DELIVERY, RESPONSE])
def test_who_may_not_change_petitions_gets_403(as_user, worker, closed, step):
    viewer = UserFactory(username="vera", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_petition"))

    for user in (worker, viewer):
        client = as_user(user)
        url = reverse(step, args=[closed.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"delivered_on": "2025-11", "channel": "letter"}).status_code == 403

    closed.refresh_from_db()
    assert closed.status == Petition.Status.CLOSED
    assert not GovernmentContact.objects.exists()


def test_a_view_only_user_sees_no_recording_buttons(as_user, closed):
    viewer = UserFactory(username="vera", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_petition"))

    response = as_user(viewer).get(change_url(closed))

    assert response.status_code == 200
    assert "Record delivery" not in response.content.decode()


def test_a_draft_has_no_step_to_record(as_user, supervisor, family):
    draft = make_petition("a-draft", family=family, publish=False)

    shown = as_user(supervisor).get(reverse(RESPONSE, args=[draft.pk]), follow=True)

    assert "A petition that is Draft cannot become Responded." in shown.content.decode()
