"""`manage.py export_cases`: the case export for scripted use, through the same code as
the export page (`CaseExportFilter`, `service.export_cases`, `formats`), acting as a
named staff user whose role limits it, and recorded in the audit trail like any export.

    manage.py export_cases --as ava --level advocacy --format csv --layout people \\
        --host-country BE NL --status active --output people.csv

Every filter of the export page is an option (`--help` lists them): several values
follow one option (`--status active advocacy`), date ranges are `--opened-after` /
`--opened-before`, yes/no filters take `yes` or `no`, `--caseworker` a username and
`--team` a team's name. An invalid value stops the command with the form's message.

The file is written to a temporary file beside FILE, readable by its owner only, and
renamed to FILE when complete: a failed export leaves no half file. An existing FILE is
kept unless `--force`.

`--encrypt` writes the AES-256 zip of the export page (`cases.exports.encryption`).
The passphrase is asked for at a prompt, or read from `--passphrase-file` (its first
line); never from the command line, where other users of the machine and the shell's
history would see it. Internal-level exports are always encrypted, as on the page.
"""

from __future__ import annotations

import getpass
import os
import tempfile
from argparse import ArgumentParser
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils.translation import gettext as _

from cases.exports import encryption, service
from cases.exports.filters import CaseExportFilter, described
from cases.exports.levels import ExportRefused, Format, Level, allowed_levels
from cases.models import Family

YES_NO = {"yes": "true", "no": "false"}
RANGE_ENDS = ("after", "before")  # django-filter's DateRangeWidget suffixes
# Other names an option is known by, and what its value is.
ALIASES = {"q": ["--name"]}
METAVARS = {"q": "TEXT", "caseworker": "USERNAME", "team": "NAME", "references": "REF,REF"}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


class Command(BaseCommand):
    help = _(
        "Export case summaries to a file as a named staff user, with the export page's "
        "filters; recorded in the audit trail like any export."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", dest="fmt", required=True, choices=list(Format))
        parser.add_argument("--level", required=True, choices=list(Level))
        parser.add_argument("--layout", default=service.Layout.CASES, choices=list(service.LAYOUTS))
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            metavar="USERNAME",
            help=_("The active staff user the export is made as; their role limits it."),
        )
        parser.add_argument("--output", required=True, metavar="FILE")
        parser.add_argument("--force", action="store_true", help=_("Replace FILE if it exists."))
        parser.add_argument(
            "--encrypt",
            action="store_true",
            help=_("Write an AES-256 encrypted zip; the passphrase is asked for."),
        )
        parser.add_argument(
            "--passphrase-file",
            metavar="PATH",
            help=_("With --encrypt: read the passphrase from this file's first line."),
        )
        group = parser.add_argument_group(_("filters, as on the export page"))
        for name, case_filter in CaseExportFilter.base_filters.items():
            label = str(case_filter.label or name)
            if isinstance(case_filter, django_filters.DateFromToRangeFilter):
                for end in RANGE_ENDS:
                    option = f"{name}_{end}"
                    group.add_argument(
                        _option(option), dest=option, metavar="YYYY-MM-DD", help=f"{label} ({end})"
                    )
                continue
            kwargs: dict[str, Any] = {"dest": name, "help": label, "metavar": METAVARS.get(name)}
            if isinstance(case_filter, django_filters.MultipleChoiceFilter):
                kwargs |= {"nargs": "+", "action": "extend", "metavar": "CODE"}
            elif isinstance(case_filter, django_filters.BooleanFilter):
                kwargs |= {"choices": list(YES_NO), "metavar": None}
            group.add_argument(_option(name), *ALIASES.get(name, []), **kwargs)

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["username"])
        output = self._output(Path(options["output"]), force=options["force"])
        level = options["level"]
        # A role that may not export internal detail is refused (and logged) below.
        may_export_internal = Level.INTERNAL in allowed_levels(user)
        if level == Level.INTERNAL and may_export_internal and not options["encrypt"]:
            raise CommandError(_("Internal exports are always encrypted: add --encrypt."))
        passphrase = self._passphrase(options) if options["encrypt"] else None

        filterset = CaseExportFilter(
            self._filter_data(options), queryset=Family.objects.visible_to(user)
        )
        if not filterset.is_valid():
            raise CommandError(self._form_errors(filterset))
        try:
            export = service.export_cases(
                user=user,
                level=level,
                layout=options["layout"],
                fmt=options["fmt"],
                families=filterset.qs,
                filters=described(filterset),
            )
        except ExportRefused as refusal:
            raise CommandError(str(refusal)) from None
        except ValueError as error:  # a layout that does not come in this format
            raise CommandError(str(error)) from None
        chunks: Iterable[bytes] = export.chunks
        if passphrase is not None:
            chunks = encryption.encrypted_zip(
                chunks, inner_name=export.filename, passphrase=passphrase
            )
        self._write(chunks, output, force=options["force"])
        self.stdout.write(
            _("Exported %(cases)d cases (%(people)d people) to %(file)s.")
            % {"cases": export.cases, "people": export.people, "file": output}
        )

    # --- Checks ----------------------------------------------------------------------

    def _user(self, username: str) -> AbstractBaseUser:
        model = get_user_model()
        user = model.objects.filter(**{model.USERNAME_FIELD: username}).first()
        if user is None or not user.is_active or not user.is_staff:
            raise CommandError(
                _("There is no active staff user “%(username)s”.") % {"username": username}
            )
        return user

    def _output(self, output: Path, *, force: bool) -> Path:
        if output.is_dir():
            raise CommandError(_("%(file)s is a folder.") % {"file": output})
        if output.exists() and not force:
            raise CommandError(
                _("%(file)s exists already; add --force to replace it.") % {"file": output}
            )
        if not output.parent.is_dir():
            raise CommandError(_("There is no folder %(folder)s.") % {"folder": output.parent})
        return output

    def _passphrase(self, options: dict[str, Any]) -> str:
        if options["passphrase_file"]:
            try:
                text = Path(options["passphrase_file"]).read_text(encoding="utf-8")
            except OSError as error:
                raise CommandError(
                    _("The passphrase file cannot be read: %(error)s") % {"error": error.strerror}
                ) from None
            passphrase = text.splitlines()[0] if text else ""
        else:
            passphrase = getpass.getpass(_("Passphrase: "))
            if getpass.getpass(_("The same passphrase again: ")) != passphrase:
                raise CommandError(_("The two passphrases differ."))
        if len(passphrase) < encryption.MIN_PASSPHRASE:
            raise CommandError(
                _("A passphrase needs at least %(count)d characters.")
                % {"count": encryption.MIN_PASSPHRASE}
            )
        return passphrase

    # --- The filters -------------------------------------------------------------------

    def _filter_data(self, options: dict[str, Any]) -> QueryDict:
        """The options as the export page's form would submit them."""
        data = QueryDict(mutable=True)
        unbound = None
        for name, case_filter in CaseExportFilter.base_filters.items():
            if isinstance(case_filter, django_filters.DateFromToRangeFilter):
                for end in RANGE_ENDS:
                    if options.get(f"{name}_{end}") is not None:
                        data[f"{name}_{end}"] = options[f"{name}_{end}"]
                continue
            value = options.get(name)
            if value is None:
                continue
            if isinstance(case_filter, django_filters.MultipleChoiceFilter):
                data.setlist(name, value)
            elif isinstance(case_filter, django_filters.BooleanFilter):
                data[name] = YES_NO[value]
            elif isinstance(case_filter, django_filters.ModelChoiceFilter):
                unbound = unbound or CaseExportFilter(queryset=Family.objects.none())
                data[name] = self._model_choice(unbound.form.fields[name].queryset, value)
            else:
                data[name] = value
        return data

    def _model_choice(self, queryset: Any, value: str) -> str:
        """The pk of the choice named `value` (a username, a team's name), else `value`
        as given, for the form to accept as a pk or refuse."""
        model = queryset.model
        key = getattr(model, "USERNAME_FIELD", "name")
        pk = queryset.filter(**{key: value}).values_list("pk", flat=True).first()
        return value if pk is None else str(pk)

    def _form_errors(self, filterset: CaseExportFilter) -> str:
        lines = [_("The filters are not valid:")]
        for name, errors in filterset.form.errors.items():
            option = _option(name) if name in filterset.form.fields else name
            lines.append(f"  {option}: {' '.join(errors)}")
        return "\n".join(lines)

    # --- The file ----------------------------------------------------------------------

    def _write(self, chunks: Iterable[bytes], output: Path, *, force: bool) -> None:
        """Write to a temporary file beside `output` (mode 0600), then rename it."""
        descriptor, temporary = tempfile.mkstemp(
            dir=output.parent, prefix=f".{output.name}.", suffix=".part"
        )
        try:
            with os.fdopen(descriptor, "wb") as file:
                for chunk in chunks:
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            if force:
                os.replace(temporary, output)
            else:
                try:
                    os.link(temporary, output)  # fails if FILE appeared meanwhile
                except FileExistsError:
                    raise CommandError(
                        _("%(file)s exists already; add --force to replace it.") % {"file": output}
                    ) from None
                os.unlink(temporary)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
