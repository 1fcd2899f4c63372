"""Background work of the staff login flow (django.tasks; `manage.py db_worker` runs it).

The password-reset view enqueues one `send_password_reset` for every request it does
not throttle, whatever the address, so its answer takes as long for a staff address as
for any other. Only here, in the worker, is the address looked up.
"""

from __future__ import annotations

from django.tasks import task
from django.utils import translation

from cases import crypto
from cases.accounts.forms import StaffPasswordResetForm

EMAIL_TEMPLATE = "registration/password_reset_email.txt"
SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"


@task
def send_password_reset(*, email_token: str, domain: str, use_https: bool, language: str) -> None:
    """Mail a reset link to each active staff account with this address, through Django's
    PasswordResetForm (its tokens, its checks, our templates in the asker's language).

    The address travels encrypted (cases.crypto), so the task table holds no address in
    clear; the task returns nothing, so its result row does not tell whether an account
    exists. Running it twice is harmless: the links stay valid side by side, and
    StaffPasswordResetForm sends one account only so many mails an hour.
    No retry: a lost mail is asked for again from the page."""
    form = StaffPasswordResetForm(data={"email": crypto.decrypt(email_token)})
    if not form.is_valid():
        return
    with translation.override(language):
        form.save(
            domain_override=domain,
            use_https=use_https,
            email_template_name=EMAIL_TEMPLATE,
            subject_template_name=SUBJECT_TEMPLATE,
        )
