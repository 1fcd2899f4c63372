"""Anti-abuse without a third party: the honeypot, the time the form took, proof of work
for a petition under attack, a surge or a suspect client, and the rate limits per
address, per network and per petition, all counted in the shared cache."""

import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import petitions, ratelimit
from cases.models import AuditEvent, Petition, Signature
from cases.public import signing
from cases.public.forms import issue_stamp
from tests.public.conftest import make_petition
from tests.public.signing_kit import confirm_link, post_sign, solved, thanks_url

pytestmark = pytest.mark.django_db

WINDOW_START = 1_800_000_000 - 1_800_000_000 % 3600 + 5  # early in an hour and a minute
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def steady_clock(monkeypatch):
    """Every hit of a test in the same rate-limit windows."""
    monkeypatch.setattr(ratelimit, "now", lambda: WINDOW_START)


@pytest.fixture
def easy_proof_of_work(monkeypatch):
    """Challenges a test solves in a few milliseconds; the rules stay the same."""
    monkeypatch.setattr(signing, "POW_COST", 1)
    monkeypatch.setattr(signing, "POW_MAX_COUNTER", 16)


def asks_for_proof_of_work(response) -> bool:
    content = response.content.decode()
    return (
        response.status_code == 200
        and "One more step" in content
        and 'data-start="load"' in content
        and 'id="id_proof_of_work"' in content
    )


def challenge_for(client, petition) -> dict:
    response = client.get(f"/en/petitions/{petition.slug}/challenge/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return json.loads(response.content)


# --- Quietly suspect ----------------------------------------------------------------------


def test_a_filled_honeypot_gets_the_usual_answer_a_suspect_signature_and_no_mail(client, petition):
    normal = post_sign(client, petition, email="person@example.org")
    trapped = post_sign(client, petition, email="victim@example.org", website="http://spam")

    assert (trapped.status_code, trapped["Location"]) == (normal.status_code, normal["Location"])
    states = dict(Signature.objects.values_list("email", "state"))
    assert states == {"person@example.org": "pending", "victim@example.org": "suspect"}
    assert [m.to for m in mail.outbox] == [["person@example.org"]]


@pytest.mark.parametrize(
    "fields",
    [
        {"elapsed": "900"},  # measured by sign.js: under a second
        {"issued": None},  # no stamp: not our form
        {"issued": "forged:stamp"},
        {"issued": "now"},  # drawn this very second
    ],
    ids=["fast-script", "no-stamp", "forged-stamp", "fresh-stamp"],
)
def test_a_form_sent_by_a_program_is_quietly_suspect_and_not_counted(
    client, petition, fields, django_capture_on_commit_callbacks
):
    if fields.get("issued") == "now":
        fields = {"issued": issue_stamp()}
    response = post_sign(client, petition, **fields)

    assert response.status_code == 303
    assert response["Location"] == thanks_url(petition)
    assert Signature.objects.get().state == Signature.State.SUSPECT
    # Its signer may still confirm (a fast typist): recorded, shown as usual, not counted.
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(confirm_link())
    assert "your signature is confirmed" in confirmed.content.decode()
    signature = Signature.objects.get()
    assert (signature.state, signature.confirmed_at is not None) == ("suspect", True)
    petition.refresh_from_db()
    assert petition.signature_count == 0


def test_a_moderator_accepting_a_confirmed_suspect_makes_it_count(
    client, petition, caseworker, django_capture_on_commit_callbacks
):
    post_sign(client, petition, elapsed="500")
    client.post(confirm_link())

    with django_capture_on_commit_callbacks(execute=True):
        petitions.signatures_accept(signatures=Signature.objects.all(), actor=caseworker)

    petition.refresh_from_db()
    assert petition.signature_count == 1


def test_without_javascript_the_stamp_alone_decides(client, petition):
    post_sign(client, petition, elapsed="")

    assert Signature.objects.get().state == Signature.State.PENDING


# --- Proof of work --------------------------------------------------------------------------


@pytest.fixture
def attacked(easy_proof_of_work):
    return make_petition("under-attack", proof_of_work=True)


def test_a_petition_under_attack_shows_the_proof_of_work_step_in_its_page(client, attacked):
    content = client.get(f"/en/petitions/{attacked.slug}/").content.decode()

    assert f'data-challenge-url="/en/petitions/{attacked.slug}/challenge/"' in content
    assert "/static/js/sign.js" in content
    assert "needs JavaScript" in content  # the <noscript> notice


def test_a_petition_under_attack_takes_a_signature_only_with_a_solution(client, attacked):
    without = post_sign(client, attacked)
    assert asks_for_proof_of_work(without)
    assert 'value="Ayla Example"' in without.content.decode()  # the input is kept
    assert not Signature.objects.exists()

    payload = solved(challenge_for(client, attacked))
    with_solution = post_sign(client, attacked, proof_of_work=payload)

    assert with_solution.status_code == 303
    assert Signature.objects.get().state == Signature.State.PENDING


def test_a_solution_is_good_for_one_signature(client, attacked):
    payload = solved(challenge_for(client, attacked))
    post_sign(client, attacked, proof_of_work=payload)

    again = post_sign(client, attacked, proof_of_work=payload, email="second@example.org")

    assert asks_for_proof_of_work(again)
    assert Signature.objects.count() == 1


def test_a_solution_for_another_petition_or_a_forged_one_is_refused(client, attacked):
    other = make_petition("other-one", proof_of_work=True)
    payload = solved(challenge_for(client, other))

    for bad in (payload, "garbage", "x" * 10_000, solved(challenge_for(client, attacked))[:-8]):
        assert asks_for_proof_of_work(post_sign(client, attacked, proof_of_work=bad))
    assert not Signature.objects.exists()


def test_a_suspect_client_must_bring_proof_of_work(client, petition, easy_proof_of_work):
    burst = next(limit for limit in signing.CLIENT_LIMITS if limit.window == 60)
    for number in range(burst.soft):
        assert post_sign(client, petition, email=f"house{number}@example.org").status_code == 303

    asked = post_sign(client, petition, email="one-more@example.org")
    assert asks_for_proof_of_work(asked)
    assert not Signature.objects.filter(email="one-more@example.org").exists()

    payload = solved(challenge_for(client, petition))
    assert post_sign(client, petition, email="one-more@example.org", proof_of_work=payload)[
        "Location"
    ] == thanks_url(petition)
    # Others elsewhere are not asked.
    assert post_sign(client, petition, email="elsewhere@example.org", address="192.0.2.9")[
        "Location"
    ] == thanks_url(petition)


def test_a_surge_on_one_petition_asks_every_signer_for_proof_of_work(
    client, petition, settings, easy_proof_of_work, monkeypatch
):
    settings.REUNITE_SIGNING_SURGE = 1  # a signature a second, over 10 seconds: 10
    for number in range(10):
        response = post_sign(
            client, petition, email=f"s{number}@example.org", address=f"10.{number}.0.1"
        )
        assert response.status_code == 303

    for number in range(10, 13):
        response = post_sign(
            client, petition, email=f"s{number}@example.org", address=f"10.{number}.0.1"
        )
        assert asks_for_proof_of_work(response)
    assert Signature.objects.count() == 10
    [event] = AuditEvent.objects.filter(detail__startswith="signing surge")
    assert event.object_id == str(petition.pk)
    # Minutes later the 10-second count has started again, and the step still holds.
    monkeypatch.setattr(ratelimit, "now", lambda: WINDOW_START + 120)
    assert asks_for_proof_of_work(
        post_sign(client, petition, email="later@example.org", address="10.99.0.1")
    )
    # Never a refusal: with a solution the surge goes on.
    payload = solved(challenge_for(client, petition))
    assert post_sign(client, petition, email="with@example.org", proof_of_work=payload)[
        "Location"
    ] == thanks_url(petition)


def test_the_challenge_address_is_throttled_per_client(client, petition):
    for _ in range(30):
        assert client.get(f"/en/petitions/{petition.slug}/challenge/").status_code == 200

    response = client.get(f"/en/petitions/{petition.slug}/challenge/")

    assert response.status_code == 429
    assert response["Retry-After"] == "60"


# --- Rate limits ---------------------------------------------------------------------------


def test_one_address_is_refused_past_its_hard_limit_without_touching_the_database(client, petition):
    hard = next(limit for limit in signing.CLIENT_LIMITS if limit.window == 60).hard
    for number in range(hard):
        post_sign(client, petition, email=f"n{number}@example.org")

    with CaptureQueriesContext(connection) as queries:
        refused = post_sign(client, petition, email="too-many@example.org")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many signatures from your connection" in refused.content.decode()
    assert not queries.captured_queries
    assert not Signature.objects.filter(email="too-many@example.org").exists()
    assert (
        post_sign(client, petition, email="x@example.org", address="192.0.2.1").status_code == 303
    )


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(
        signing,
        "CLIENT_LIMITS",
        (signing.Limit("ip", 60, soft=50, hard=50), signing.Limit("net", 60, soft=50, hard=3)),
    )


@pytest.mark.parametrize(
    ("neighbours", "stranger"),
    [
        (["192.0.2.1", "192.0.2.77", "192.0.2.200", "192.0.2.254"], "192.0.3.1"),
        (
            ["2001:db8:1:2::1", "2001:db8:1:2::a", "2001:db8:1:2:ffff::1", "2001:db8:1:2::b"],
            "2001:db8:1:3::1",
        ),
    ],
    ids=["ipv4-/24", "ipv6-/64"],
)
def test_a_network_is_limited_across_its_addresses(
    client, petition, small_limits, neighbours, stranger
):
    statuses = [
        post_sign(client, petition, email=f"{n}@example.org", address=address).status_code
        for n, address in enumerate(neighbours)
    ]

    assert statuses == [303, 303, 303, 429]
    assert post_sign(client, petition, email="s@example.org", address=stranger).status_code == 303


def test_limits_hold_across_processes_because_they_live_in_the_cache(client, petition):
    # What another server process counted is in the shared cache: the same keys.
    hard = next(limit for limit in signing.CLIENT_LIMITS if limit.window == 60).hard
    for _ in range(hard):
        ratelimit.hit_count(("sign", "ip", "198.51.100.7"), window=60)

    assert post_sign(client, petition).status_code == 429


# --- The least work in the request ------------------------------------------------------------


def test_a_signature_is_one_transaction_of_two_inserts_no_count_no_counter(
    client, petition, settings
):
    settings.TASKS = DATABASE_TASKS
    post_sign(client, petition, email="warm@example.org")  # the petition lookup is cached now

    with CaptureQueriesContext(connection) as queries:
        response = post_sign(client, petition, email="hot@example.org")

    assert response.status_code == 303
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))
    ]
    # The signature, then its confirmation task's row, in the same transaction (the
    # test's own transaction holds them as a savepoint).
    assert len(statements) == 2, statements
    assert statements[0].startswith('INSERT INTO "cases_signature"')
    assert statements[1].startswith('INSERT INTO "django_tasks_database_dbtaskresult"')
    petition.refresh_from_db()
    assert petition.signature_count == 0
    assert Petition.objects.get(pk=petition.pk).count_updated_at is None
