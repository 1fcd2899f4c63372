from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, Permission

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
