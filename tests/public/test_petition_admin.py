"""The staff admin of petitions and signatures: who may do what, status changes through
the services, the cached pages forgotten on every save, moderation never deleting."""

import pytest
from django.urls import reverse
from django.utils import translation

from cases.models import AuditEvent, Petition, PetitionEvent, Signature, SignatureInvalidation
from tests.factories import FamilyFactory
from tests.public.conftest import make_petition, sign

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:cases_petition_changelist"
SIGNATURES = "admin:cases_signature_changelist"
BY_RULE = "admin:cases_signature_invalidate_by_rule"


def page_url(petition, language="en"):
    with translation.override(language):
        return reverse("public:petition_detail", kwargs={"slug": petition.slug})


def run_action(client, url_name, action, objects):
    return client.post(
        reverse(url_name),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )


# --- Who may open what -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["petition_editor", "supervisor"])
def test_petition_editors_and_supervisors_work_on_petitions_and_signatures(
    request, as_user, petition, who
):
    client = as_user(request.getfixturevalue(who))

    for url in [
        reverse(CHANGELIST),
        reverse("admin:cases_petition_change", args=[petition.pk]),
        reverse("admin:cases_petition_add"),
        reverse(SIGNATURES),
        reverse(BY_RULE),
        reverse("admin:cases_signatureinvalidation_changelist"),
    ]:
        assert client.get(url).status_code == 200, url


def test_a_caseworker_neither_edits_petitions_nor_moderates(as_user, worker, petition):
    client = as_user(worker)
    signatures = sign(petition, 2)

    for url in [reverse(CHANGELIST), reverse(SIGNATURES), reverse(BY_RULE)]:
        assert client.get(url).status_code == 403, url
    run_action(client, SIGNATURES, "invalidate_selected", signatures)
    assert not Signature.objects.filter(state=Signature.State.INVALIDATED).exists()


def test_viewing_signatures_without_the_moderation_permission_offers_no_moderation(
    as_user, petition
):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(username="vera", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_signature"))
    client = as_user(viewer)
    signatures = sign(petition, 2)

    listing = client.get(reverse(SIGNATURES)).content.decode()
    run_action(client, SIGNATURES, "invalidate_selected", signatures)

    assert "invalidate_selected" not in listing
    assert "Invalidate by rule" not in listing
    assert client.get(reverse(BY_RULE)).status_code == 403
    assert not Signature.objects.filter(state=Signature.State.INVALIDATED).exists()


def test_signatures_are_never_deleted_in_the_admin(as_user, supervisor, petition):
    client = as_user(supervisor)
    [signature] = sign(petition, 1)

    listing = client.get(reverse(SIGNATURES)).content.decode()
    response = client.post(
        reverse("admin:cases_signature_delete", args=[signature.pk]), {"post": "yes"}
    )

    assert 'value="delete_selected"' not in listing
    assert response.status_code == 403
    assert Signature.objects.filter(pk=signature.pk).exists()


def test_a_public_petition_cannot_be_deleted(as_user, supervisor, petition):
    supervisor.is_superuser = True
    supervisor.save()
    client = as_user(supervisor)

    response = client.post(
        reverse("admin:cases_petition_delete", args=[petition.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Petition.objects.filter(pk=petition.pk).exists()


# --- Families, texts, saving ---------------------------------------------------------------


def test_the_families_menu_offers_only_the_cases_the_user_may_open(
    as_user, worker, petition_editor, supervisor
):
    from django.contrib.auth.models import Group

    mine = FamilyFactory(name="Assigned")
    mine.caseworkers.add(worker)
    hidden = FamilyFactory(name="Hidden", restricted=True)
    # A caseworker who also edits petitions: sees the petition admin and their own case.
    worker.groups.add(Group.objects.get(name="Petition editor"))

    offered = {}
    for user in (worker, petition_editor, supervisor):
        form = as_user(user).get(reverse("admin:cases_petition_add")).context["adminform"].form
        offered[user.username] = set(form.fields["families"].queryset)

    assert offered["wahid"] == {mine}
    assert offered["pete"] == set()
    assert offered["sara"] >= {mine, hidden}


def test_saving_never_unlinks_a_case_the_editor_cannot_see(
    as_user, petition_editor, petition, admin_form
):
    hidden = FamilyFactory(name="Hidden", restricted=True)
    petition.families.add(hidden)
    client = as_user(petition_editor)
    url = reverse("admin:cases_petition_change", args=[petition.pk])
    data = admin_form(client.get(url))
    data["goal"] = "300"

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert set(petition.families.all()) >= {hidden}
    petition.refresh_from_db()
    assert petition.goal == 300


def test_an_admin_save_of_a_text_forgets_the_cached_pages(
    client, login, petition_editor, petition, admin_form, django_capture_on_commit_callbacks
):
    from django.test import Client

    assert "Reunite the Tursun family" in client.get(page_url(petition)).content.decode()
    client.get(page_url(petition, "ug"))
    staff = login(Client(), petition_editor)
    url = reverse("admin:cases_petition_change", args=[petition.pk])
    data = admin_form(staff.get(url))
    index = next(k for k, v in data.items() if v == "Reunite the Tursun family").split("-")[1]
    data[f"texts-{index}-title"] = "Reunite the Tursuns now"

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url, data).status_code == 302

    assert "Reunite the Tursuns now" in client.get(page_url(petition)).content.decode()
    assert AuditEvent.objects.filter(object_type="cases.petitiontext", fields=["title"]).exists()


def test_a_published_petition_keeps_its_fallback_text(
    as_user, petition_editor, petition, admin_form
):
    client = as_user(petition_editor)
    url = reverse("admin:cases_petition_change", args=[petition.pk])
    data = admin_form(client.get(url))
    index = next(k for k, v in data.items() if v == "en" and k.startswith("texts-"))
    data[index.replace("-language", "-DELETE")] = "on"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "keeps its text in its fallback language" in response.content.decode()
    assert petition.texts.filter(language="en").exists()


def test_the_change_page_says_what_of_each_story_the_page_shows(as_user, supervisor, petition):
    family = petition.families.get()
    family.public_summary = "Ayshem is missing."
    family.save()

    content = (
        as_user(supervisor)
        .get(reverse("admin:cases_petition_change", args=[petition.pk]))
        .content.decode()
    )

    assert "names someone who did not agree to be named" in content


# --- Status actions through the services ------------------------------------------------


def test_publishing_in_the_admin_goes_through_the_service(as_user, petition_editor, family):
    draft = make_petition("a-draft", family=family, publish=False)
    empty = make_petition("no-text", family=family, publish=False)
    empty.texts.all().delete()

    response = run_action(as_user(petition_editor), CHANGELIST, "publish", [draft, empty])

    draft.refresh_from_db()
    empty.refresh_from_db()
    assert draft.status == Petition.Status.PUBLISHED
    assert PetitionEvent.objects.filter(petition=draft, status="published").exists()
    assert empty.status == Petition.Status.DRAFT
    assert "Write the petition in its fallback language" in response.content.decode()


def test_closing_in_the_admin_reaches_the_public_page(
    client, as_user, petition_editor, petition, django_capture_on_commit_callbacks
):
    from django.test import Client

    client.get(page_url(petition))

    with django_capture_on_commit_callbacks(execute=True):
        run_action(as_user(petition_editor), CHANGELIST, "close", [petition])

    petition.refresh_from_db()
    assert petition.status == Petition.Status.CLOSED
    assert "Signing is closed." in Client().get(page_url(petition)).content.decode()


# --- Moderation --------------------------------------------------------------------------


def test_a_petition_editor_invalidates_the_selected_signatures_with_a_record(
    as_user, petition_editor, petition
):
    chosen = sign(petition, 3)
    kept = sign(petition, 2, start=10)

    run_action(as_user(petition_editor), SIGNATURES, "invalidate_selected", chosen[:2])

    states = dict(Signature.objects.values_list("pk", "state"))
    assert [states[s.pk] for s in chosen] == ["invalidated", "invalidated", "confirmed"]
    assert {states[s.pk] for s in kept} == {"confirmed"}
    record = SignatureInvalidation.objects.get()
    assert (record.count, record.actor, record.petition) == (2, petition_editor, petition)
    assert record.rule == {"signature_ids": str(sorted(s.pk for s in chosen[:2]))}


def test_accepting_suspects_counts_them_again(as_user, petition_editor, petition):
    from django.utils import timezone

    confirmed = sign(petition, 1, state=Signature.State.SUSPECT, confirmed_at=timezone.now())
    unconfirmed = sign(petition, 1, state=Signature.State.SUSPECT, start=5)

    run_action(as_user(petition_editor), SIGNATURES, "accept_suspects", confirmed + unconfirmed)

    assert Signature.objects.get(pk=confirmed[0].pk).state == Signature.State.CONFIRMED
    assert Signature.objects.get(pk=unconfirmed[0].pk).state == Signature.State.PENDING


def test_invalidating_by_rule_shows_the_count_before_it_acts(as_user, petition_editor, petition):
    sign(petition, 3, country="BE")
    bad = Signature.objects.bulk_create(
        Signature(
            petition=petition,
            name=f"Bot{i} Spammer",
            email=f"bot{i}@spam.example",
            email_canonical=f"bot{i}@spam.example",
            country="FR",
            state=Signature.State.CONFIRMED,
        )
        for i in range(4)
    )
    client = as_user(petition_editor)
    rule = {"petition": petition.pk, "email_domain": "spam.example", "country": "FR"}

    preview = client.post(reverse(BY_RULE), {**rule, "_preview": "1"})

    assert "This rule names 4 signatures that are not invalidated yet." in preview.content.decode()
    assert not Signature.objects.filter(state=Signature.State.INVALIDATED).exists()

    done = client.post(reverse(BY_RULE), {**rule, "expected": "4", "_confirm": "1"})

    assert done.status_code == 302
    assert set(
        Signature.objects.filter(state=Signature.State.INVALIDATED).values_list("pk", flat=True)
    ) == {s.pk for s in bad}
    record = SignatureInvalidation.objects.get()
    assert record.rule == {"email_domain": "spam.example", "country": "FR"}
    assert record.count == 4


def test_a_rule_whose_count_changed_since_the_preview_is_shown_again(
    as_user, petition_editor, petition
):
    sign(petition, 3, country="KZ")
    client = as_user(petition_editor)

    response = client.post(
        reverse(BY_RULE),
        {"petition": petition.pk, "country": "KZ", "expected": "2", "_confirm": "1"},
    )

    assert response.status_code == 200
    assert "This rule names 3 signatures" in response.content.decode()
    assert not SignatureInvalidation.objects.exists()


def test_an_empty_rule_or_a_broken_pattern_is_refused(as_user, petition_editor, petition):
    client = as_user(petition_editor)

    empty = client.post(reverse(BY_RULE), {"petition": petition.pk, "_preview": "1"})
    broken = client.post(
        reverse(BY_RULE), {"petition": petition.pk, "name_pattern": "(", "_preview": "1"}
    )

    assert "Name at least one rule" in empty.content.decode()
    assert "not a valid regular expression" in broken.content.decode()


def test_the_signature_list_searches_and_filters(as_user, petition_editor, petition):
    sign(petition, 2, country="BE")
    sign(petition, 1, country="TR", start=7)
    client = as_user(petition_editor)

    found = client.get(reverse(SIGNATURES), {"q": "signer7"}).context["cl"].result_count
    turkish = client.get(reverse(SIGNATURES), {"country": "TR"}).context["cl"].result_count
    confirmed = client.get(reverse(SIGNATURES), {"state__exact": "confirmed"}).context["cl"]

    assert (found, turkish, confirmed.result_count) == (1, 1, 3)
    assert AuditEvent.objects.filter(detail="cases.signature list search").exists()
