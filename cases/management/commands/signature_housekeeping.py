"""Expire unconfirmed signatures (7 days) and anonymise those of petitions closed six
months ago, now; or, with --schedule, start the hourly task that does it in the worker."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.public import signing, tasks


class Command(BaseCommand):
    help = (
        "Delete signatures nobody confirmed within 7 days and anonymise the signatures of "
        "petitions closed more than six months ago (counts by country are kept). Run it "
        "from cron, or once with --schedule to have the task worker do it every hour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the hourly task (manage.py db_worker runs it) instead of working now. "
            "Safe to repeat: a task already queued is not queued twice.",
        )

    def handle(self, *args: Any, schedule: bool, **options: Any) -> None:
        if schedule:
            queued = tasks.schedule_housekeeping()
            self.stdout.write(
                "Hourly signature housekeeping queued."
                if queued
                else "Signature housekeeping is queued already."
            )
            return
        expired = signing.signatures_expire_unconfirmed()
        anonymised = signing.signatures_anonymise()
        self.stdout.write(f"{expired} unconfirmed signature(s) expired, {anonymised} anonymised.")
