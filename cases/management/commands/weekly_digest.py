"""Send this week's digests now (each staff member gets one a week at most); or, with
--schedule, start the weekly task that does it every Monday morning in the worker."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases import digest


class Command(BaseCommand):
    help = (
        "Mail every caseworker and supervisor who has not turned it off their weekly "
        "digest: case references and counts only. Sent once a week per person, however "
        "often this runs. Run it from cron, or once with --schedule to have the task "
        "worker do it every Monday morning."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the weekly task (manage.py db_worker runs it) instead of sending now. "
            "Safe to repeat: a task already queued is not queued twice.",
        )

    def handle(self, *args: Any, schedule: bool, **options: Any) -> None:
        if schedule:
            queued = digest.schedule_weekly_digest()
            self.stdout.write(
                "Weekly digest queued." if queued else "The weekly digest is queued already."
            )
            return
        week = digest.this_week()
        sent = sum(digest.digest_send(user=user, week=week) for user in digest.recipients())
        self.stdout.write(f"{sent} weekly digest(s) sent for {week}.")
