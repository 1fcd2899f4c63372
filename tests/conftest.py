from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import connection

from cases.db_roles import grant_app_role_privileges
from cases.roles import Role
from tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a database file, as the embedded default does, not Django's
    shared in-memory database: its table locks ignore the busy timeout, so concurrent
    saves could not be tested the way they happen on a real site."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs ~0.5 s a user; tests check behaviour, not hash strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttles and slow-downs count in the cache (cases/ratelimit.py): every test
    starts from zero, and with none of the responses the fast path kept in memory
    (cases/public/middleware.py)."""
    from django.core.cache import caches

    from cases.public import middleware

    for cache in caches.all():
        cache.clear()
    middleware.forget_all()


@pytest.fixture(autouse=True)
def english_unless_asked():
    """Every test starts in the default language, whatever the one before it left
    active (a request in Uyghur activates Uyghur for the thread)."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Tasks run as they are enqueued (Django's ImmediateBackend), so a test sees their
    mail at once. A test of the queue itself sets the database backend back."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


# --- On PostgreSQL the tests run as the app's database role, not the tables' owner -------


def app_database_role() -> str:
    """The app's PostgreSQL role (REUNITE_DB_APP_ROLE, set by bin/with-postgres), or ""."""
    return settings.REUNITE_DB_APP_ROLE if connection.vendor == "postgresql" else ""


@contextmanager
def as_table_owner(database=connection) -> Iterator[None]:
    """SQL on `database` (a connection) runs as the role it logged in as, the owner that
    ran `migrate`, instead of the app's role; then as the app's role again."""
    role = app_database_role()
    if not role:
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("RESET ROLE")
    try:
        yield
    finally:
        with database.cursor() as cursor:
            cursor.execute(database.ops.compose_sql("SET ROLE %s", [role]))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, created and migrated by the owner (DATABASE_URL); the
    tests then work in it as the app's role, with only the rights that `migrate` granted
    it (cases/db_roles.py). Django's `assume_role` makes each new connection SET ROLE to
    it, which the owner may do once it is a member of that role (bin/with-postgres).

    The harness's own work stays the owner's: emptying the tables after a transactional
    test (TRUNCATE) and dropping the test database at the end. The flush is patched on the
    class: Playwright's event loop gives later tests connection objects of their own.
    """
    role = app_database_role()
    if not role:
        yield
        return
    operations = type(connection.ops)
    flush = operations.execute_sql_flush

    def flush_as_owner(self, sql_list: list[str]) -> None:
        with as_table_owner(self.connection):
            flush(self, sql_list)

    options = connection.settings_dict.setdefault("OPTIONS", {})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operations, "execute_sql_flush", flush_as_owner)
        with django_db_blocker.unblock():
            options["assume_role"] = role
            connection.close()  # the next connection starts as the app
        yield
        with django_db_blocker.unblock():
            del options["assume_role"]
            connection.close()


@pytest.fixture
def database_owner(db):
    """For a test that needs the owner's rights (migrating, or raw SQL against the audit
    trigger): its SQL runs as the owner. Afterwards the app's role gets its rights on the
    tables as they now are, as after `migrate`."""
    with as_table_owner():
        yield
        if role := app_database_role():
            grant_app_role_privileges(using=connection.alias, role=role)


@pytest.fixture
def caseworker(db):
    """A staff member with every permission on case records, nothing else."""
    user = UserFactory(username="alice", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="cases")
        | Permission.objects.filter(codename="view_user")
    )
    return user


def login_verified(client, user):
    """Log `client` in as `user` after both factors: password (force_login), then a
    real confirmed authenticator device recorded as this session's second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def user_with_role(username: str, role: Role):
    """A staff member in one of the real role groups (cases.roles)."""
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def worker(db):
    """A caseworker by role: sees only the cases assigned to them or their team."""
    return user_with_role("wahid", Role.CASEWORKER)


@pytest.fixture
def other_worker(db):
    return user_with_role("omar", Role.CASEWORKER)


@pytest.fixture
def supervisor(db):
    return user_with_role("sara", Role.SUPERVISOR)


@pytest.fixture
def advocate(db):
    return user_with_role("ava", Role.ADVOCATE)


@pytest.fixture
def petition_editor(db):
    return user_with_role("pete", Role.PETITION_EDITOR)


@pytest.fixture
def as_user(client, login):
    """`as_user(user)` returns the test client, signed in as that user with both factors."""

    def log_in(user):
        return login(client, user)

    return log_in


@pytest.fixture
def caseworker_client(client, caseworker):
    return login_verified(client, caseworker)


class AdminFormData(dict):
    """What a browser would submit from an admin add or change page, ready to edit.

    Multi-selects hold lists. `add_inline()` fills in the next blank inline form, as
    clicking "Add another" and typing would.
    """

    def add_inline(self, prefix: str, **fields) -> int:
        index = int(self[f"{prefix}-TOTAL_FORMS"])
        self[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
        self.update({f"{prefix}-{index}-{name}": value for name, value in fields.items()})
        return index


class _AdminFormParser(HTMLParser):
    """Collects the successful controls of the admin's `<form id="…_form">`."""

    _SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data = AdminFormData()
        self._in_form = False
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str, *, multiple: bool = False) -> None:
        if "__prefix__" in name:  # the template for "Add another"
            return
        if multiple:
            self.data.setdefault(name, []).append(value)
        else:
            self.data[name] = value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._in_form = attr.get("id", "").endswith("_form")
        if not self._in_form or "disabled" in attr:
            return
        if tag == "input" and "name" in attr:
            kind = attr.get("type", "text").lower()
            if kind in self._SKIPPED_INPUTS:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attr:
                    self._add(attr["name"], attr.get("value", "on"), multiple=kind == "checkbox")
                return
            self._add(attr["name"], attr.get("value", ""))
        elif tag == "select" and "name" in attr:
            self._select = (attr["name"], "multiple" in attr)
            self._options = []
        elif tag == "option" and self._select is not None:
            self._options.append((attr.get("value", ""), "selected" in attr))
        elif tag == "textarea" and "name" in attr:
            self._textarea, self._text = attr["name"], []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if multiple:
                for value in chosen:
                    self._add(name, value, multiple=True)
            elif chosen or self._options:
                self._add(name, chosen[-1] if chosen else self._options[0][0])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self._add(self._textarea, text.removeprefix("\r\n").removeprefix("\n"))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


@pytest.fixture
def admin_form():
    """Read an admin add or change page's form as a browser would submit it."""

    def read(response) -> AdminFormData:
        assert response.status_code == 200, response.status_code
        parser = _AdminFormParser()
        parser.feed(response.content.decode())
        parser.close()
        assert parser.data, "no admin form on this page"
        return parser.data

    return read


@pytest.fixture
def login():
    """Log a client in as a staff member would be after both factors."""

    def log_in(client, user):
        return login_verified(client, user)

    return log_in
