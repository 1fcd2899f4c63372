"""Write the Uyghur names of countries, from Unicode CLDR, as a gettext catalogue.

Why: django-countries translates its country names with gettext, but ships no Uyghur
catalogue, so the Uyghur admin showed every country (host country, citizenship,
government; their form menus, list filters and list columns) in English. CLDR, the
Unicode Consortium's locale data, has reviewed Uyghur names for every ISO 3166 code;
Babel ships it offline. Nothing else is needed at run time: Django merges this
catalogue with the others, and django-countries' names find their translations in it.

Where: `locale_countries/ug/LC_MESSAGES/django.po`, a LOCALE_PATHS folder of its own.
`make messages` (makemessages) writes only to `locale/`, so it never drops these
strings as unused; its compilemessages compiles this catalogue too, and so does this
command. Run it again after upgrading django-countries or Babel; `--check` fails while
the committed catalogue differs from what it would write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.management.utils import popen_wrapper
from django.utils import translation

LANGUAGE = "ug"
CATALOGUE = Path(settings.BASE_DIR) / "locale_countries" / LANGUAGE / "LC_MESSAGES" / "django.po"


def country_msgids() -> dict[str, str]:
    """Every name django-countries may ask gettext for, with its ISO code: the official
    name, the common name shown instead (COUNTRIES_COMMON_NAMES) and former names it
    falls back on."""
    from django_countries.base import CountriesBase
    from django_countries.data import COUNTRIES

    names: dict[str, str] = {}
    with translation.override(None):  # the untranslated text, which is the msgid
        for code, name in COUNTRIES.items():
            for each in [
                name,
                *filter(None, [CountriesBase.COMMON_NAMES.get(code)]),
                *CountriesBase.OLD_NAMES.get(code, []),
            ]:
                msgid = str(each)
                if names.setdefault(msgid, code) != code:
                    raise CommandError(f"{msgid!r} names both {names[msgid]} and {code}")
    return names


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def catalogue_text() -> str:
    try:
        import babel
        from babel.core import get_cldr_version
    except ImportError:
        raise CommandError(
            "Babel is needed to write the catalogue: pip install --group dev"
        ) from None
    territories = babel.Locale.parse(LANGUAGE).territories
    lines = [
        "# Uyghur names of countries for django-countries, which has no Uyghur catalogue.",
        f"# Written by `manage.py country_names` from Unicode CLDR {get_cldr_version()}",
        "# (through Babel). Do not edit: run the command again.",
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        f'"Language: {LANGUAGE}\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
    ]
    for msgid, code in sorted(country_msgids().items()):
        if code not in territories:
            continue  # no CLDR name: django-countries shows the English one
        lines += [
            "",
            f"#. {code}",
            f"msgid {_quoted(msgid)}",
            f"msgstr {_quoted(territories[code])}",
        ]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Write locale_countries/ug: Uyghur country names from CLDR for django-countries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if the committed catalogue is not what would be written.",
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        text = catalogue_text()
        current = CATALOGUE.read_text(encoding="utf-8") if CATALOGUE.exists() else ""
        if check:
            if current != text:
                raise CommandError(f"{CATALOGUE} is out of date: run `manage.py country_names`.")
            self.stdout.write(f"{CATALOGUE} is up to date.")
            return
        CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
        CATALOGUE.write_text(text, encoding="utf-8")
        # As compilemessages does it, for this catalogue alone.
        mo = CATALOGUE.with_suffix(".mo")
        _out, errors, status = popen_wrapper(
            ["msgfmt", "--check-format", "-o", str(mo), str(CATALOGUE)]
        )
        if status:
            raise CommandError(f"msgfmt failed on {CATALOGUE}:\n{errors}")
        self.stdout.write(f"Wrote {CATALOGUE} and {mo.name}.")
