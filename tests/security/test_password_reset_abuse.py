"""Abusing the password-reset form: mail bombing a caseworker, probing which addresses
belong to staff, and the address leaking into logs, the cache or the task table."""

import json
import logging
import signal
from io import StringIO

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from cases import crypto
from cases.accounts import throttling
from cases.accounts.forms import StaffPasswordResetForm
from cases.accounts.tasks import send_password_reset
from tests.factories import UserFactory
from tests.test_accounts import without_csrf_token

pytestmark = pytest.mark.django_db

RESET = "/staff/password/reset/"
SENT = "/staff/password/reset/sent/"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def ask_reset(client, email, address="203.0.113.7", **extra):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address, **extra)


def run_worker_once() -> None:
    """`manage.py db_worker --batch`: run every queued task, then stop. The worker takes
    over Ctrl-C and SIGTERM for its graceful shutdown; the test run gets them back."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("db_worker", batch=True, startup_delay=False, reload=False, stdout=StringIO())
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.org", is_staff=True)


def test_forty_requests_from_one_address_send_the_caseworker_three_mails_not_forty(client, alice):
    responses = [ask_reset(client, "alice@example.org") for _ in range(40)]

    assert {(response.status_code, response["Location"]) for response in responses} == {(302, SENT)}
    assert len(mail.outbox) == throttling.RESETS_PER_ADDRESS
    assert {tuple(message.to) for message in mail.outbox} == {("alice@example.org",)}


def test_requests_for_one_address_spread_over_many_clients_are_throttled_too(
    client, alice, settings
):
    settings.TASKS = DATABASE_TASKS

    spellings = ["alice@example.org", "Alice@Example.org", "ALICE@EXAMPLE.ORG "]
    for number in range(20):
        ask_reset(client, spellings[number % 3], address=f"198.51.100.{number}")

    assert DBTaskResult.objects.count() == throttling.RESETS_PER_ADDRESS  # queued: 3, not 20


def test_one_client_asking_for_many_addresses_is_throttled(client):
    staff = [UserFactory(email=f"staff{number}@example.org", is_staff=True) for number in range(15)]

    for user in staff:
        ask_reset(client, user.email)

    assert len(mail.outbox) == throttling.RESETS_PER_IP


def test_one_account_gets_only_so_many_mails_however_the_requests_reach_the_worker(alice):
    """The cap where the mail leaves: it holds even when the web processes' counters do
    not add up (locmem counts per process)."""
    for _ in range(10):
        send_password_reset.enqueue(
            email_token=crypto.encrypt(alice.email),
            domain="testserver",
            use_https=True,
            language="en",
        )

    assert len(mail.outbox) == StaffPasswordResetForm.MAILS_PER_ACCOUNT
    assert "https://testserver/staff/password/reset/" in mail.outbox[0].body


def test_the_answer_is_the_same_for_staff_unknown_non_staff_and_throttled_addresses(client, alice):
    UserFactory(username="bob", email="bob@example.org", is_staff=False)
    for _ in range(throttling.RESETS_PER_ADDRESS):
        ask_reset(client, "carol@example.org", address="192.0.2.1")

    answers = []
    for email in (
        "alice@example.org",
        "nobody@example.org",
        "bob@example.org",
        "carol@example.org",
    ):
        response = ask_reset(client, email, follow=True)
        answers.append(
            (response.redirect_chain, response.status_code, without_csrf_token(response))
        )

    assert answers[0][0] == [(SENT, 302)]
    assert all(answer == answers[0] for answer in answers)
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]


def test_every_address_queues_the_same_one_task_so_timing_tells_nothing(client, alice, settings):
    settings.TASKS = DATABASE_TASKS
    UserFactory(username="bob", email="bob@example.org", is_staff=False)

    for email in ("alice@example.org", "nobody@example.org", "bob@example.org"):
        ask_reset(client, email)

    rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [row.task_path for row in rows] == ["cases.accounts.tasks.send_password_reset"] * 3
    assert mail.outbox == []  # nothing was looked up or sent while answering
    stored = json.dumps([row.args_kwargs for row in rows])
    for email in ("alice@example.org", "nobody@example.org", "bob@example.org"):
        assert email not in stored  # the address travels encrypted
        assert email.split("@")[0] not in stored


@pytest.mark.django_db(transaction=True)  # the worker closes its connection between tasks
def test_the_worker_sends_a_queued_reset_once(client, alice, settings):
    settings.TASKS = DATABASE_TASKS
    ask_reset(client, "alice@example.org", HTTP_ACCEPT_LANGUAGE="ug")
    row = DBTaskResult.objects.get()
    assert row.status == "READY"
    assert mail.outbox == []

    translation.activate("en")  # the worker's own language is not the asker's
    run_worker_once()
    run_worker_once()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert row.return_value is None  # the result says nothing about the account
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert "https://" not in message.body
    assert "http://testserver/staff/password/reset/" in message.body
    assert "بىرسى Reunite" in message.body  # in Uyghur, as asked


@pytest.fixture
def log_lines(caplog):
    """Every log line at any level, as logged: before the console handler's filter
    (cases/redaction.py) rewrites it, so that the test sees what the code wrote."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(f"{record.getMessage()} {record.exc_text or ''}")

    for name in (None, "django", "django.tasks", "django_tasks_db"):
        caplog.set_level(logging.DEBUG, logger=name)
    root = logging.getLogger()
    handler = Collect(level=logging.DEBUG)
    root.handlers.insert(0, handler)
    yield lines
    root.handlers.remove(handler)


@pytest.mark.django_db(transaction=True)
def test_the_address_asked_for_is_in_no_log_line_and_no_cache_key(
    client, alice, log_lines, settings
):
    settings.TASKS = DATABASE_TASKS

    ask_reset(client, "alice@example.org")
    ask_reset(client, "nobody@example.org")
    run_worker_once()

    assert len(mail.outbox) == 1
    assert any("send_password_reset" in line for line in log_lines)  # the worker did log
    assert cache._cache  # locmem in tests: the keys themselves can be looked at
    for secret in ("alice@example.org", "nobody@example.org", "203.0.113.7"):
        for line in log_lines:
            assert secret not in line
            assert secret.split("@")[0] not in line
        for key in cache._cache:
            assert secret not in key
            assert secret.split("@")[0] not in key
