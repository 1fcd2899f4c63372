"""Re-encrypt every encrypted value under the newest key; recompute the blind indexes."""

from __future__ import annotations

from argparse import RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from cases.crypto import DecryptionError, rotate_encryption

ROTATION_STEPS = """
Re-encrypts every encrypted value (contact details, places, notes, summaries,
separation details, status notes, evidence file names) under the FIRST key of
REUNITE_ENCRYPTION_KEYS, and recomputes every contact-details blind index with
REUNITE_BLIND_INDEX_KEY. Values already under the first key and indexes already
right are left alone: running it again is safe and changes nothing. It prints
counts only, never values.

To rotate the encryption key:
  1. Generate a key:
       python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
  2. Put it FIRST in REUNITE_ENCRYPTION_KEYS, keeping every old key after it
     (REUNITE_ENCRYPTION_KEYS=new,old), and restart every process (web, workers).
     New writes now use the new key; old values still decrypt with the old one.
  3. Run: python manage.py rotate_encryption_keys
  4. Run it again: it must report 0 re-encrypted.
  5. Only then remove the old key from REUNITE_ENCRYPTION_KEYS and restart.
     Backups taken before step 3 still need the old key: keep it, offline, for as
     long as you keep those backups.

To change the blind-index key: set the new REUNITE_BLIND_INDEX_KEY, restart, and run
this command at once (until it has run, search by phone number or e-mail finds nobody).
"""


class _KeepLayout(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    help = ROTATION_STEPS

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        kwargs.setdefault("formatter_class", _KeepLayout)  # the steps stay as written
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows locked and rewritten per transaction (default: 500).",
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            counts = rotate_encryption(batch_size=batch_size)
        except DecryptionError as error:
            raise CommandError(str(error)) from None
        changed = 0
        for count in counts:
            changed += count.changed
            if count.blind_index:
                line = f"{count.unchanged} unchanged, {count.changed} recomputed"
            else:
                line = f"{count.unchanged} under the first key, {count.changed} re-encrypted"
            self.stdout.write(f"{count.field}: {line}")
        self.stdout.write(self.style.SUCCESS(f"Done: {changed} values rewritten."))
