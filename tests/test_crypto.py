"""Private text is encrypted at rest, keys rotate, and contact details stay searchable
through a blind index that holds no number and matches no fragment of one."""

import io
import json

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.core.management import call_command
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cases import crypto, services
from cases.access import PRIVATE_FIELDS
from cases.models import Family, Person, Separation, StatusChange
from cases.roles import Role
from tests.conftest import user_with_role
from tests.factories import (
    FamilyFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
)
from tests.test_settings import GOOD_KEY, load_settings

pytestmark = pytest.mark.django_db

PERSON_LIST = reverse("admin:cases_person_changelist")

# Every text field the access rules keep private is encrypted (files are not text).
ENCRYPTED = [
    (model, name)
    for model, names in PRIVATE_FIELDS.items()
    for name in sorted(names)
    if not isinstance(model._meta.get_field(name), models.FileField)
]


def stored(model, pk, column):
    """The value exactly as the database holds it, read with plain SQL."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


def found(client, term):
    response = client.get(PERSON_LIST, {"q": term})
    assert response.status_code == 200
    return {person.name_latin for person in response.context["cl"].result_list}


@pytest.fixture
def keys(settings):
    """Set REUNITE_ENCRYPTION_KEYS, newest first."""

    def use(*fernet_keys: bytes) -> None:
        settings.REUNITE_ENCRYPTION_KEYS = [key.decode() for key in fernet_keys]

    return use


def test_every_private_text_field_is_an_encrypted_field():
    for model, name in ENCRYPTED:
        assert isinstance(model._meta.get_field(name), crypto.EncryptedFieldMixin), name


def test_private_text_is_ciphertext_in_the_database_and_plaintext_through_the_orm(caseworker):
    person = PersonFactory(
        contact_details="CONTACT-SECRET +86 555 0101",
        location_place="PLACE-SECRET Aksu",
        notes="NOTES-SECRET",
    )
    family = services.family_create(
        family=Family(name="Yasin", internal_summary="SUMMARY-SECRET"),
        actor=caseworker,
        note="NOTE-SECRET",
    )
    separation = SeparationFactory(family=family, person=person, details="DETAILS-SECRET")
    written = {
        (Person, "contact_details"): (person.pk, "CONTACT-SECRET +86 555 0101"),
        (Person, "location_place"): (person.pk, "PLACE-SECRET Aksu"),
        (Person, "notes"): (person.pk, "NOTES-SECRET"),
        (Family, "internal_summary"): (family.pk, "SUMMARY-SECRET"),
        (Separation, "details"): (separation.pk, "DETAILS-SECRET"),
        (StatusChange, "note"): (StatusChange.objects.get(family=family).pk, "NOTE-SECRET"),
    }

    for (model, name), (pk, plaintext) in written.items():
        raw = stored(model, pk, name)
        assert "SECRET" not in raw
        assert crypto.decrypt(raw) == plaintext  # a Fernet token of exactly that text
        assert getattr(model.objects.get(pk=pk), name) == plaintext
    assert "555" not in stored(Person, person.pk, "contact_index")


def test_a_permitted_caseworker_reads_and_saves_plain_text_in_the_admin(
    caseworker_client, admin_form
):
    person = PersonFactory(contact_details="+86 555 0101", location_place="Aksu")
    url = reverse("admin:cases_person_change", args=[person.pk])
    page = caseworker_client.get(url)
    data = admin_form(page)
    assert data["contact_details"] == "+86 555 0101"
    assert stored(Person, person.pk, "contact_details") not in page.content.decode()
    assert '<input type="text" name="location_place"' in page.content.decode()  # one line

    data["notes"] = "Called on Monday."
    response = caseworker_client.post(url, data)

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.contact_details, person.location_place, person.notes) == (
        "+86 555 0101",
        "Aksu",
        "Called on Monday.",
    )


def test_the_same_text_encrypts_differently_each_time():
    first = PersonFactory(notes="Same words")
    second = PersonFactory(notes="Same words")

    assert stored(Person, first.pk, "notes") != stored(Person, second.pk, "notes")


def test_a_blank_private_field_stays_blank_and_can_be_filtered_on():
    PersonFactory(name_latin="Without notes", notes="")
    PersonFactory(name_latin="With notes", notes="Something")

    assert list(Person.objects.filter(notes="").values_list("name_latin", flat=True)) == [
        "Without notes"
    ]


@pytest.mark.parametrize(
    "lookup",
    [{"notes": "Something"}, {"notes__icontains": "some"}, {"contact_details__startswith": "+"}],
)
def test_an_encrypted_field_refuses_lookups_that_would_silently_find_nothing(lookup):
    with pytest.raises(FieldError):
        list(Person.objects.filter(**lookup))


def _final_field(model, path):
    """The field a lookup path such as "members__name_latin" ends on."""
    field = None
    for part in path.lstrip("^=@-").split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:  # a lookup such as __exact, or a method name
            break
        model = field.related_model or model
    return field


def test_no_admin_searches_filters_or_orders_by_an_encrypted_field():
    hidden = (crypto.EncryptedFieldMixin, crypto.BlindIndexField)
    for model, model_admin in admin.site._registry.items():
        paths = [*model_admin.search_fields, *(model_admin.ordering or [])]
        paths += [f[0] if isinstance(f, (list, tuple)) else f for f in model_admin.list_filter]
        paths = [p for p in paths if isinstance(p, str)]  # SimpleListFilter classes: no field
        if model_admin.date_hierarchy:
            paths.append(model_admin.date_hierarchy)
        for path in paths:
            field = _final_field(model, path)
            assert not isinstance(field, hidden), f"{model_admin}: {path}"


# --- Key rotation --------------------------------------------------------------------


def test_rotating_to_a_new_key_reencrypts_every_value_so_the_old_key_can_be_retired(keys):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    person = PersonFactory(notes="Written under the old key", contact_details="+86 555 0101")
    keys(new, old)  # step 2: the new key first, the old one still there

    assert Person.objects.get().notes == "Written under the old key"  # still readable
    with pytest.raises(InvalidToken):
        Fernet(new).decrypt(stored(Person, person.pk, "notes").encode())

    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)

    assert Fernet(new).decrypt(stored(Person, person.pk, "notes").encode()) == (
        b"Written under the old key"
    )
    assert "cases.person.notes: 0 under the first key, 1 re-encrypted" in out.getvalue()
    assert "old key" not in out.getvalue()
    assert "555" not in out.getvalue()
    keys(new)  # step 5: the old key retired
    assert Person.objects.get().notes == "Written under the old key"
    assert Person.objects.get().contact_details == "+86 555 0101"


def test_rotating_again_changes_nothing(keys):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    person = PersonFactory(notes="Once is enough")
    keys(new, old)
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    token = stored(Person, person.pk, "notes")

    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)

    assert stored(Person, person.pk, "notes") == token
    assert "cases.person.notes: 1 under the first key, 0 re-encrypted" in out.getvalue()
    assert "Done: 0 values rewritten." in out.getvalue()


def test_rotation_goes_through_every_batch(keys):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    people = [PersonFactory(notes=f"Note {n}") for n in range(3)]
    keys(new, old)

    out = io.StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)

    assert "cases.person.notes: 0 under the first key, 3 re-encrypted" in out.getvalue()
    for n, person in enumerate(people):
        assert (
            Fernet(new).decrypt(stored(Person, person.pk, "notes").encode()) == f"Note {n}".encode()
        )


def test_removing_the_old_key_before_rotating_leaves_its_values_unreadable(keys):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    PersonFactory(notes="Only the old key reads this")
    keys(new)

    with pytest.raises(crypto.DecryptionError) as refused:
        Person.objects.get()
    assert "Only the old key" not in str(refused.value)


def test_rotation_recomputes_the_blind_index_after_the_index_key_changes(settings):
    PersonFactory(name_latin="Reachable", contact_details="+86 555 0101")
    settings.REUNITE_BLIND_INDEX_KEY = "a-new-blind-index-key-of-more-than-32-chars"
    digest = crypto.search_digest("+86 555 0101")
    assert not Person.objects.filter(contact_index__contains=digest).exists()

    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)

    assert Person.objects.filter(contact_index__contains=digest).exists()
    assert "cases.person.contact_index: 0 unchanged, 1 recomputed" in out.getvalue()


def test_rotation_names_the_record_it_cannot_decrypt_but_not_its_value(keys):
    lost, new = Fernet.generate_key(), Fernet.generate_key()
    keys(lost)
    person = PersonFactory(notes="Under a lost key")
    keys(new)

    with pytest.raises(Exception, match=f"cases.person.notes id {person.pk}") as refused:
        call_command("rotate_encryption_keys", stdout=io.StringIO())
    assert "Under a lost key" not in str(refused.value)


# --- Settings ------------------------------------------------------------------------

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": GOOD_KEY,
    "DJANGO_ALLOWED_HOSTS": "reunite.example",
    "REUNITE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "REUNITE_BLIND_INDEX_KEY": "i" * 40,
}


def test_production_refuses_to_start_without_encryption_keys():
    result = load_settings({**PRODUCTION, "REUNITE_ENCRYPTION_KEYS": ""})

    assert result.returncode != 0
    assert "REUNITE_ENCRYPTION_KEYS must be set in production" in result.stderr
    assert "Fernet.generate_key()" in result.stderr


def test_production_refuses_to_start_without_a_blind_index_key():
    result = load_settings({k: v for k, v in PRODUCTION.items() if k != "REUNITE_BLIND_INDEX_KEY"})

    assert result.returncode != 0
    assert "REUNITE_BLIND_INDEX_KEY must be set in production" in result.stderr


def test_production_refuses_the_development_encryption_key():
    development = json.loads(load_settings({}, "settings.REUNITE_ENCRYPTION_KEYS").stdout)

    result = load_settings({**PRODUCTION, "REUNITE_ENCRYPTION_KEYS": development[0]})

    assert result.returncode != 0
    assert "never the development key" in result.stderr


def test_a_malformed_encryption_key_is_refused_at_start():
    result = load_settings({"REUNITE_ENCRYPTION_KEYS": "not-a-fernet-key"})

    assert result.returncode != 0
    assert "not a Fernet key" in result.stderr


def test_production_starts_with_both_keys_newest_first():
    second = Fernet.generate_key().decode()
    keys = f"{PRODUCTION['REUNITE_ENCRYPTION_KEYS']}, {second}"

    result = load_settings(
        {**PRODUCTION, "REUNITE_ENCRYPTION_KEYS": keys}, "settings.REUNITE_ENCRYPTION_KEYS"
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [PRODUCTION["REUNITE_ENCRYPTION_KEYS"], second]


def test_the_development_keys_are_fixed_and_not_derived_from_the_secret_key():
    expression = "[settings.REUNITE_ENCRYPTION_KEYS, settings.REUNITE_BLIND_INDEX_KEY]"
    one = load_settings({"DJANGO_SECRET_KEY": "x" * 60}, expression)
    other = load_settings({"DJANGO_SECRET_KEY": "y" * 60}, expression)

    assert one.returncode == other.returncode == 0, one.stderr + other.stderr
    assert json.loads(one.stdout) == json.loads(other.stdout)
    assert json.loads(one.stdout)[0]  # a key, not an empty list


# --- Blind index ---------------------------------------------------------------------


def test_contact_tokens_are_normalised_phone_numbers_emails_and_handles():
    text = (
        "Phone +86 555-0101 (evenings), or (0031) 6 1234 5678.\n"
        "Mail Dilnaz.A@Example.ORG; Telegram @Dilnaz_A. Born 1987."
    )

    assert crypto.contact_tokens(text) == sorted(
        ["+865550101", "0031612345678", "dilnaz.a@example.org", "@dilnaz_a"]
    )


def test_full_width_and_arabic_indic_digits_count_as_the_same_number():
    assert crypto.contact_tokens("＋８６ ５５５ ０１０１") == ["+865550101"]
    assert crypto.contact_tokens("+٨٦ ٥٥٥ ٠١٠١") == ["+865550101"]


def test_the_blind_index_follows_the_contact_details_on_every_save():
    person = PersonFactory(contact_details="+86 555 0101")
    before = stored(Person, person.pk, "contact_index")

    person.contact_details = "+86 555 0199"
    person.save()

    after = stored(Person, person.pk, "contact_index")
    assert before
    assert after != before
    assert after == crypto.blind_digest("+865550199")


@pytest.fixture
def people():
    PersonFactory(name_latin="Gulnar Ehmet", contact_details="Phone: +86 555 0101")
    PersonFactory(name_latin="Adil Yasin", contact_details="adil.yasin@example.org")
    PersonFactory(name_latin="No Phone", contact_details="Messaging app only")


@pytest.mark.parametrize(
    ("term", "name"),
    [
        ("+865550101", "Gulnar Ehmet"),
        ("+86 555 0101", "Gulnar Ehmet"),
        ("+86-555-0101", "Gulnar Ehmet"),
        ("Adil.Yasin@Example.org", "Adil Yasin"),
    ],
)
def test_the_person_search_finds_someone_by_a_contact_written_another_way(
    caseworker_client, people, term, name
):
    assert found(caseworker_client, term) == {name}


@pytest.mark.parametrize("term", ["555 0101", "5550101", "0101", "+86 555 010", "example.org"])
def test_the_person_search_does_not_match_part_of_a_phone_number_or_address(
    caseworker_client, people, term
):
    assert found(caseworker_client, term) == set()


def test_the_person_search_still_finds_people_by_name(caseworker_client, people):
    assert found(caseworker_client, "Gulnar") == {"Gulnar Ehmet"}


def test_staff_who_may_not_see_contact_details_cannot_search_by_them(client, login):
    MembershipFactory(
        family=FamilyFactory(), person__name_latin="Ekrem", person__contact_details="+86 555 0101"
    )
    login(client, user_with_role("ava", Role.ADVOCATE))

    assert found(client, "Ekrem") == {"Ekrem"}  # the advocate can see the person
    assert found(client, "+86 555 0101") == set()  # but not search their contact details


def test_a_phone_number_does_not_find_a_person_on_another_caseworkers_restricted_case(
    client, login
):
    family = FamilyFactory(restricted=True)
    family.caseworkers.add(user_with_role("omar", Role.CASEWORKER))
    MembershipFactory(family=family, person__contact_details="+86 555 0101")
    login(client, user_with_role("wahid", Role.CASEWORKER))

    assert found(client, "+86 555 0101") == set()


# --- Migration -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_and_decrypts_them_going_back(database_owner):
    executor = MigrationExecutor(connection)
    before = ("cases", "0003_audit_trail_append_only_in_postgresql")
    after = ("cases", "0005_evidence_random_file_names_and_original_name")
    try:
        executor.migrate([before])
        old_person = executor.loader.project_state([before]).apps.get_model("cases", "Person")
        pk = old_person.objects.create(
            name_latin="Old Row", contact_details="+86 555 0101", notes="Plain notes"
        ).pk
        assert stored(Person, pk, "notes") == "Plain notes"

        executor.loader.build_graph()
        executor.migrate([after])

        # The model as it stood after that migration (later ones add columns).
        new_person = executor.loader.project_state([after]).apps.get_model("cases", "Person")
        assert crypto.decrypt(stored(Person, pk, "notes")) == "Plain notes"
        assert new_person.objects.get(pk=pk).contact_details == "+86 555 0101"
        digest = crypto.search_digest("+865550101")
        assert new_person.objects.filter(contact_index__contains=digest).exists()

        executor.loader.build_graph()
        executor.migrate([before])
        assert stored(Person, pk, "notes") == "Plain notes"
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
