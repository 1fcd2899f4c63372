"""Nothing entered twice, nothing silently lost (issue 6): the same add form posted
twice or at once creates one case; a save from a page drawn before another editor's
save is refused with what changed, and the editor's input kept."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from cases.models import AuditEvent, Family, Separation, StatusChange
from tests.conftest import login_verified
from tests.factories import FamilyFactory, SeparationFactory, UserFactory

FAMILY_ADD = reverse("admin:cases_family_add")


def change_url(family):
    return reverse("admin:cases_family_change", args=[family.pk])


@pytest.fixture
def add_form(caseworker_client, admin_form):
    data = admin_form(caseworker_client.get(FAMILY_ADD))
    data.update(name="Yasin", status="intake")
    return data


@pytest.mark.django_db
def test_the_add_form_carries_a_fresh_submission_key_each_time(caseworker_client, admin_form):
    first = admin_form(caseworker_client.get(FAMILY_ADD))["submission_key"]
    second = admin_form(caseworker_client.get(FAMILY_ADD))["submission_key"]

    assert first
    assert second
    assert first != second


@pytest.mark.django_db
def test_posting_the_add_form_twice_creates_one_case(caseworker_client, add_form):
    first = caseworker_client.post(FAMILY_ADD, add_form)
    second = caseworker_client.post(FAMILY_ADD, add_form, follow=True)

    family = Family.objects.get()
    assert first.status_code == 302
    assert second.redirect_chain[-1][0] == change_url(family)
    assert f"already saved as {family.reference}" in second.content.decode()
    assert StatusChange.objects.filter(family=family).count() == 1


@pytest.mark.django_db
def test_the_repeated_post_saves_none_of_its_inlines(caseworker_client, add_form):
    add_form.add_inline("government_contacts", **CONTACT)

    caseworker_client.post(FAMILY_ADD, add_form)
    caseworker_client.post(FAMILY_ADD, add_form)

    assert Family.objects.get().government_contacts.count() == 1


@pytest.mark.django_db
def test_a_form_shown_again_after_an_error_still_saves_once_corrected(caseworker_client, add_form):
    add_form["name"] = ""
    refused = caseworker_client.post(FAMILY_ADD, add_form)
    add_form["name"] = "Yasin"
    saved = caseworker_client.post(FAMILY_ADD, add_form)

    assert refused.status_code == 200
    assert saved.status_code == 302
    assert Family.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_add_form_create_one_case_and_no_error(caseworker, add_form):
    # Real concurrency, on both databases: three browsers' worth of the same post.
    clients = [login_verified(Client(), caseworker) for _ in range(3)]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def post(client):
        try:
            start.wait()
            statuses.append(client.post(FAMILY_ADD, add_form).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=[client]) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [302, 302, 302]
    assert Family.objects.count() == 1


CONTACT = {
    "contacted_on": "2024-05-02",
    "direction": "we_asked",
    "channel": "letter",
    "body_kind": "foreign_ministry",
    "body": "Ministry of Foreign Affairs",
    "summary": "Asked about the son.",
    "outcome": "",
}


@pytest.fixture
def two_editors(caseworker, other_caseworker, admin_form):
    """Two caseworkers who opened the same case's page, one after the other."""
    family = FamilyFactory(status="intake", priority=2)
    family.caseworkers.add(caseworker, other_caseworker)
    first = login_verified(Client(), caseworker)
    second = login_verified(Client(), other_caseworker)
    return (
        family,
        (first, admin_form(first.get(change_url(family)))),
        (second, admin_form(second.get(change_url(family)))),
    )


@pytest.fixture
def other_caseworker(caseworker):
    """A second caseworker with the same rights as the first."""
    user = UserFactory(username="bilal", is_staff=True)
    user.user_permissions.set(caseworker.user_permissions.all())
    return user


@pytest.mark.django_db
def test_a_stale_save_is_refused_and_says_what_changed(two_editors):
    family, (alice, alice_form), (bilal, bilal_form) = two_editors
    alice_form["status"] = "active"
    assert alice.post(change_url(family), alice_form).status_code == 302

    bilal_form["priority"] = "4"
    response = bilal.post(change_url(family), bilal_form)

    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.non_field_errors())
    assert "after you opened it" in message
    assert "alice" in message
    assert "status" in message
    family.refresh_from_db()
    assert (family.status, family.priority) == ("active", 2)  # alice's save stands


@pytest.mark.django_db
def test_the_refused_form_keeps_the_input_and_saves_when_sent_again(two_editors, admin_form):
    family, (alice, alice_form), (bilal, bilal_form) = two_editors
    alice_form["status"] = "active"
    alice.post(change_url(family), alice_form)
    bilal_form["priority"] = "4"
    bilal_form["internal_summary"] = "Bilal's long summary"

    shown_again = admin_form(bilal.post(change_url(family), bilal_form))
    assert shown_again["priority"] == "4"
    assert shown_again["internal_summary"] == "Bilal's long summary"
    resent = bilal.post(change_url(family), shown_again)

    assert resent.status_code == 302
    family.refresh_from_db()
    assert (family.priority, family.internal_summary) == (4, "Bilal's long summary")


@pytest.mark.django_db
def test_a_stale_inline_edit_cannot_undo_a_separation_saved_meanwhile(
    caseworker, other_caseworker, admin_form
):
    family = FamilyFactory()
    family.caseworkers.add(caseworker, other_caseworker)
    separation = SeparationFactory(family=family, status="reported")
    alice = login_verified(Client(), caseworker)
    bilal = login_verified(Client(), other_caseworker)
    bilal_form = admin_form(bilal.get(change_url(family)))
    # Alice changes the separation on its own page after Bilal opened the case.
    url = reverse("admin:cases_separation_change", args=[separation.pk])
    alice_form = admin_form(alice.get(url))
    alice_form["status"] = "verified"
    assert alice.post(url, alice_form).status_code == 302

    bilal_form["priority"] = "3"
    response = bilal.post(change_url(family), bilal_form)

    assert response.status_code == 200
    assert "separation" in " ".join(response.context["adminform"].form.non_field_errors())
    assert Separation.objects.get().status == "verified"


@pytest.mark.django_db
def test_every_save_raises_the_version_once(caseworker_client, admin_form):
    family = FamilyFactory()
    data = admin_form(caseworker_client.get(change_url(family)))
    data["priority"] = "3"

    caseworker_client.post(change_url(family), data)

    family.refresh_from_db()
    assert family.version == 2


@pytest.mark.django_db
def test_a_forged_or_missing_version_is_treated_as_stale(caseworker_client, admin_form):
    family = FamilyFactory(priority=2)
    data = admin_form(caseworker_client.get(change_url(family)))
    data["priority"] = "4"

    for forged in ["", "garbage", "99:1", "1:nan-ish"]:
        data["edit_version"] = forged
        assert caseworker_client.post(change_url(family), data).status_code == 200

    family.refresh_from_db()
    assert family.priority == 2
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()
