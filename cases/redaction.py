"""Keep personal data out of logs and error reports.

Logs and error reports travel further than the database: to log files, terminals,
hosting dashboards and the operator's inbox. Case data must not travel with them.

- `RedactPersonalData`, a logging filter on every handler (settings.LOGGING), replaces
  e-mail addresses, phone-number-like digit runs and URL query values in each message,
  its arguments and its traceback text.
- `PrivateExceptionReporterFilter` (settings.DEFAULT_EXCEPTION_REPORTER_FILTER) hides
  every posted value, every cookie, every request header but a few technical ones, the
  traceback's local variables and more settings than Django hides by default.
- `PrivateExceptionReporter` (settings.DEFAULT_EXCEPTION_REPORTER) also hides what
  Django shows without asking the filter: query values, uploaded file names, the
  user's name, and e-mail addresses or phone numbers in exception messages.

Both work with DEBUG on too: a developer's database may hold a copy of real cases. To
look at variables, use a debugger; an error page never shows them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.regex_helper import _lazy_re_compile
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

REDACTED = "[redacted]"

EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits, possibly split by spaces, dots, dashes or brackets, with an
# optional leading +: +86 138 0013 8000, (0991) 555-0134, 13800138000. Not an ISO date
# (2026-11-21), the seconds of a time (21:19:45.123456) or the number inside a case
# reference (F-2026-0042), nor the digits of a UUID (10389419-da19-4034-…: a download's
# or an upload's id).
PHONE = re.compile(
    r"(?<![\w\-/.])(?<!\d:)(?!\d{4}-\d{2}-\d{2}(?!\d))(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-)"
    r"\+?\(?\d(?:[\s.()\-]{0,3}\d){6,}(?!\w)"
)
# The value of every query parameter in a URL: ?q=Gulnar&page=2 -> ?q=[redacted]&page=...
QUERY_VALUE = re.compile(r"(?<=[?&])([^=\s&#?\"']+)=[^&\s#\"']*")


def redact(text: str) -> str:
    """Text with e-mail addresses, phone numbers and URL query values replaced."""
    text = EMAIL.sub(REDACTED, text)
    text = QUERY_VALUE.sub(rf"\1={REDACTED}", text)
    return PHONE.sub(REDACTED, text)


def _redact_argument(value: Any) -> Any:
    # Short numbers passed as numbers (status codes, sizes, counts) are kept, so they
    # cannot merge with a neighbour into something that looks like a phone number.
    if isinstance(value, int | float) and abs(value) < 1_000_000:
        return value
    return redact(str(value))


class RedactPersonalData(logging.Filter):
    """Rewrites each record's message and traceback, redacted: the message template and
    every text argument, before they are merged.

    The record keeps no arguments afterwards, so no handler or formatter can render
    an unredacted value from them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, dict):
            args = {key: _redact_argument(value) for key, value in args.items()}
        elif args:
            args = tuple(_redact_argument(value) for value in args)
        try:
            template = redact(str(record.msg))
            message = template % args if args else template
        except Exception:  # a broken format string: let logging report it as usual
            return True
        record.msg, record.args = message, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (debug pages, mails to ADMINS) without the request's personal data."""

    # Django's list, plus keys, credentials, connection settings and people's addresses.
    hidden_settings = _lazy_re_compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|CRYPT|FERNET|SALT|PEPPER"
        "|CREDENTIAL|DSN|DATABASE|CACHES|MAILERS|EMAIL|ADMINS|MANAGERS",
        flags=re.IGNORECASE,
    )
    # Request headers and server variables that describe the software, not the person.
    VISIBLE_META = frozenset(
        {
            "REQUEST_METHOD",
            "PATH_INFO",
            "SCRIPT_NAME",
            "SERVER_NAME",
            "SERVER_PORT",
            "SERVER_PROTOCOL",
            "CONTENT_TYPE",
            "CONTENT_LENGTH",
            "HTTP_HOST",
            "HTTP_ACCEPT",
            "HTTP_ACCEPT_ENCODING",
            "HTTP_ACCEPT_LANGUAGE",
            "HTTP_X_FORWARDED_PROTO",
            "wsgi.url_scheme",
        }
    )

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def _hide_values(self, values: MultiValueDict) -> MultiValueDict:
        hidden = values.copy()
        for name in hidden:
            hidden.setlist(name, [self.cleansed_substitute])
        return hidden

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None:
            return {}
        return self._hide_values(request.POST)

    def get_cleansed_multivaluedict(
        self, request: HttpRequest | None, multivaluedict: MultiValueDict
    ) -> MultiValueDict:
        """Any QueryDict or MultiValueDict a traceback frame holds (POST, GET, FILES)."""
        return self._hide_values(multivaluedict)

    def get_safe_cookies(self, request: HttpRequest | None) -> dict[str, str]:
        cookies = getattr(request, "COOKIES", None) or {}
        return dict.fromkeys(cookies, self.cleansed_substitute)

    def get_safe_request_meta(self, request: HttpRequest | None) -> dict[str, Any]:
        meta = getattr(request, "META", None) or {}
        return {
            key: value if key in self.VISIBLE_META else self.cleansed_substitute
            for key, value in meta.items()
        }

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        """Every local variable by name, none by value: a form or a case may be among them."""
        return {name: self.cleansed_substitute for name in tb_frame.f_locals}.items()


class PrivateExceptionReporter(ExceptionReporter):
    """Django's report, less the request data it shows without asking the filter."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        hide = self.filter.cleansed_substitute
        if self.request is not None:
            data["request_GET_items"] = [(name, hide) for name in self.request.GET]
            data["request_FILES_items"] = [(name, hide) for name in self.request.FILES]
            data["request_insecure_uri"] = data["request_insecure_uri"].split("?")[0]
            user = getattr(self.request, "user", None)
            data["user_str"] = f"user #{user.pk}" if getattr(user, "pk", None) else None
        if "exception_value" in data:
            data["exception_value"] = redact(str(data["exception_value"]))
        if "exception_notes" in data:
            data["exception_notes"] = redact(data["exception_notes"])
        for frame in data.get("frames", []):
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = redact(str(frame["exc_cause"]))
        return data
