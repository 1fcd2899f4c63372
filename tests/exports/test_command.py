"""`manage.py export_cases`: the export page's filters and checks on the command line,
acting as a named staff user, recorded in the audit trail, writing a whole file or none."""

from __future__ import annotations

import csv
import io
import json
import stat

import pytest
import pyzipper
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.exports import formats
from cases.exports.cells import BOM
from cases.management.commands.export_cases import Command
from cases.models import AuditEvent, Family
from tests.factories import FamilyFactory, SeparationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSPHRASE = "correct horse battery staple"


def export(*argv: str) -> str:
    out = io.StringIO()
    call_command("export_cases", *argv, stdout=out)
    return out.getvalue()


def references_in(path) -> set[str]:
    text = path.read_text(encoding="utf-8").removeprefix(BOM)
    return {row[0] for row in list(csv.reader(io.StringIO(text)))[1:]}


def exports_recorded() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT))


@pytest.fixture
def cases() -> dict[str, Family]:
    belgium = FamilyFactory(host_country="BE", status=Family.Status.ACTIVE)
    SeparationFactory(family=belgium)
    return {
        "belgium": belgium,
        "netherlands": FamilyFactory(host_country="NL", status=Family.Status.ACTIVE),
        "restricted": FamilyFactory(host_country="BE", restricted=True),
    }


def test_the_command_writes_the_filtered_export_and_records_it_as_the_user(
    cases, advocate, tmp_path
):
    output = tmp_path / "cases.csv"

    said = export(
        "--as", advocate.username, "--level", "advocacy", "--format", "csv",
        "--host-country", "BE", "--output", str(output),
    )  # fmt: skip

    assert references_in(output) == {cases["belgium"].reference}
    [event] = exports_recorded()
    assert event.actor == advocate
    assert event.detail == (
        "layout=cases format=csv level=advocacy cases=1 people=1 filters: host_country=BE"
    )
    assert said.strip() == f"Exported 1 cases (1 people) to {output}."


def test_every_kind_of_filter_option_reaches_the_filters_and_the_record(
    cases, supervisor, tmp_path
):
    worker = UserFactory(username="wendy", is_staff=True)
    team = TeamFactory(name="Brussels")
    belgium = cases["belgium"]
    belgium.caseworkers.add(worker)
    belgium.team = team
    belgium.save()
    output = tmp_path / "people.csv"

    export(
        "--as", supervisor.username, "--level", "advocacy", "--format", "csv",
        "--layout", "people", "--output", str(output),
        "--status", "active", "advocacy", "--host-country", "BE", "--host-country", "NL",
        "--caseworker", "wendy", "--team", "Brussels", "--opened-after", "2000-01-01",
        "--awaiting-response", "no", "--name", "Test Person",
        "--references", f"{belgium.reference},{cases['netherlands'].reference}",
    )  # fmt: skip

    assert references_in(output) == {belgium.reference}
    [event] = exports_recorded()
    assert event.detail.endswith(
        f"filters: awaiting_response=False caseworker={worker.pk} host_country=BE,NL "
        "opened=2000-01-01.. q=<11 characters> "
        f"references={belgium.reference},{cases['netherlands'].reference} "
        f"status=active,advocacy team={team.pk}"
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--status", "lost"], "--status: Select a valid choice. lost is not one of"),
        (["--opened-after", "yesterday"], "--opened: Enter a valid date."),
        (["--host-country", "XX"], "--host-country: Select a valid choice. XX is not one of"),
        (["--team", "Nobody's team"], "--team: Select a valid choice."),
    ],
)
def test_an_invalid_filter_value_stops_with_the_forms_message_and_writes_nothing(
    cases, advocate, tmp_path, option, message
):
    output = tmp_path / "cases.csv"

    with pytest.raises(CommandError, match="The filters are not valid") as refusal:
        export(
            "--as", advocate.username, "--level", "advocacy", "--format", "csv",
            "--output", str(output), *option,
        )  # fmt: skip

    assert message in str(refusal.value)
    assert list(tmp_path.iterdir()) == []
    assert exports_recorded() == []


def test_a_yes_or_no_filter_takes_only_yes_or_no(advocate, tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'maybe'"):
        export(
            "--as", advocate.username, "--level", "advocacy", "--format", "csv",
            "--output", str(tmp_path / "x.csv"), "--open-petition", "maybe",
        )  # fmt: skip


@pytest.mark.parametrize("who", ["unknown", "inactive", "not staff"])
def test_the_user_must_be_a_known_active_staff_member(advocate, tmp_path, who):
    username = {
        "unknown": "nobody",
        "inactive": UserFactory(username="gone", is_staff=True, is_active=False).username,
        "not staff": UserFactory(username="outsider").username,
    }[who]

    with pytest.raises(CommandError, match="There is no active staff user"):
        export(
            "--as", username, "--level", "public", "--format", "csv", "--layout", "statistics",
            "--output", str(tmp_path / "stats.csv"),
        )  # fmt: skip

    assert list(tmp_path.iterdir()) == []
    assert exports_recorded() == []


def test_a_level_beyond_the_role_is_refused_and_the_attempt_logged(advocate, tmp_path):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE)
    output = tmp_path / "internal.csv.zip"

    with pytest.raises(CommandError, match="Your role may not export at this level"):
        export(
            "--as", advocate.username, "--level", "internal", "--format", "csv",
            "--encrypt", "--passphrase-file", str(passphrase_file), "--output", str(output),
        )  # fmt: skip

    assert not output.exists()
    assert exports_recorded() == []
    [refusal] = AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED)
    assert refusal.actor == advocate


def test_a_selection_larger_than_the_role_allows_is_refused(cases, advocate, tmp_path, settings):
    settings.EXPORT_MAX_CASES = 1

    with pytest.raises(CommandError, match="holds 2 cases; your role may export at most 1"):
        export(
            "--as", advocate.username, "--level", "advocacy", "--format", "csv",
            "--output", str(tmp_path / "cases.csv"),
        )  # fmt: skip


def test_a_layout_in_a_format_it_does_not_come_in_is_refused(advocate, tmp_path):
    with pytest.raises(CommandError, match="This layout does not come in this format"):
        export(
            "--as", advocate.username, "--level", "advocacy", "--format", "json",
            "--layout", "people", "--output", str(tmp_path / "people.json"),
        )  # fmt: skip

    assert list(tmp_path.iterdir()) == []


def test_a_restricted_case_is_exported_only_by_someone_who_may_open_it(
    cases, advocate, supervisor, tmp_path
):
    for user in (advocate, supervisor):
        export(
            "--as", user.username, "--level", "advocacy", "--format", "csv",
            "--output", str(tmp_path / f"{user.username}.csv"),
        )  # fmt: skip

    restricted = cases["restricted"].reference
    assert restricted not in references_in(tmp_path / f"{advocate.username}.csv")
    assert restricted in references_in(tmp_path / f"{supervisor.username}.csv")


def test_an_existing_file_is_kept_unless_forced(cases, advocate, tmp_path):
    output = tmp_path / "cases.csv"
    output.write_text("keep me")
    argv = ["--as", advocate.username, "--level", "advocacy", "--format", "csv"]

    with pytest.raises(CommandError, match="exists already; add --force"):
        export(*argv, "--output", str(output))
    assert output.read_text() == "keep me"
    assert exports_recorded() == []

    export(*argv, "--output", str(output), "--force")
    assert cases["belgium"].reference in references_in(output)


def test_a_failed_export_leaves_no_file_half_written(cases, advocate, tmp_path, monkeypatch):
    def breaks_half_way(**kwargs):
        yield b"reference,name\r\n"
        raise RuntimeError("the database went away")

    monkeypatch.setattr(formats, "render", breaks_half_way)

    with pytest.raises(RuntimeError, match="went away"):
        export(
            "--as", advocate.username, "--level", "advocacy", "--format", "csv",
            "--output", str(tmp_path / "cases.csv"),
        )  # fmt: skip

    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary file


def test_the_file_is_readable_by_its_owner_only(cases, advocate, tmp_path):
    output = tmp_path / "cases.csv"

    export(
        "--as", advocate.username, "--level", "advocacy", "--format", "csv",
        "--output", str(output),
    )  # fmt: skip

    assert stat.S_IMODE(output.stat().st_mode) == 0o600


def test_public_statistics_come_out_as_json(cases, advocate, tmp_path):
    output = tmp_path / "statistics.json"

    export(
        "--as", advocate.username, "--level", "public", "--format", "json",
        "--layout", "statistics", "--output", str(output),
    )  # fmt: skip

    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["schema"] == formats.STATISTICS_SCHEMA_ID
    assert document["level"] == "public"
    [event] = exports_recorded()
    assert event.detail.startswith("layout=statistics format=json level=public cases=2 ")


def test_an_encrypted_export_opens_only_with_its_passphrase(cases, worker, tmp_path):
    cases["belgium"].caseworkers.add(worker)
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    output = tmp_path / "internal.zip"

    export(
        "--as", worker.username, "--level", "internal", "--format", "json",
        "--encrypt", "--passphrase-file", str(passphrase_file), "--output", str(output),
    )  # fmt: skip

    with pyzipper.AESZipFile(output) as archive:
        [name] = archive.namelist()
        assert name.startswith("reunite-cases-internal-")
        with pytest.raises(RuntimeError, match="Bad password"):
            archive.read(name, pwd=b"not the passphrase at all")
        document = json.loads(archive.read(name, pwd=PASSPHRASE.encode()))
    assert [case["reference"] for case in document["cases"]] == [cases["belgium"].reference]
    assert not [e for e in AuditEvent.objects.all() if "horse" in e.detail]


def test_the_passphrase_is_asked_for_twice_at_a_prompt(cases, advocate, tmp_path, monkeypatch):
    answers = iter([PASSPHRASE, PASSPHRASE + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="The two passphrases differ"):
        export(
            "--as", advocate.username, "--level", "advocacy", "--format", "csv", "--encrypt",
            "--output", str(tmp_path / "cases.zip"),
        )  # fmt: skip

    answers = iter([PASSPHRASE, PASSPHRASE])
    export(
        "--as", advocate.username, "--level", "advocacy", "--format", "csv", "--encrypt",
        "--output", str(tmp_path / "cases.zip"),
    )  # fmt: skip
    with pyzipper.AESZipFile(tmp_path / "cases.zip") as archive:
        archive.setpassword(PASSPHRASE.encode())
        assert archive.read(archive.namelist()[0]).startswith(BOM.encode())


def test_a_short_passphrase_is_refused_before_anything_is_exported(advocate, tmp_path):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text("short")

    with pytest.raises(CommandError, match="at least 12 characters"):
        export(
            "--as", advocate.username, "--level", "advocacy", "--format", "csv", "--encrypt",
            "--passphrase-file", str(passphrase_file), "--output", str(tmp_path / "cases.zip"),
        )  # fmt: skip

    assert exports_recorded() == []


def test_an_internal_export_must_be_encrypted(cases, worker, tmp_path):
    with pytest.raises(CommandError, match="Internal exports are always encrypted"):
        export(
            "--as", worker.username, "--level", "internal", "--format", "csv",
            "--output", str(tmp_path / "internal.csv"),
        )  # fmt: skip

    assert list(tmp_path.iterdir()) == []
    assert exports_recorded() == []


def test_a_refusal_exits_with_a_non_zero_status_from_the_command_line(
    advocate, tmp_path, monkeypatch, capsys
):
    # run_from_argv closes every connection when it ends: not the test's own.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    argv = ["manage.py", "export_cases", "--as", "nobody", "--level", "advocacy"]
    argv += ["--format", "csv", "--output", str(tmp_path / "cases.csv")]

    with pytest.raises(SystemExit) as exit_status:
        Command().run_from_argv(argv)

    assert exit_status.value.code == 1
    assert "There is no active staff user" in capsys.readouterr().err
