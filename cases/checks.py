"""Deployment checks for the protections Reunite relies on (`manage.py check --deploy`).

Django's own deploy checks warn about missing HTTPS settings. These go further and are
errors, so a deployment that weakens one of them fails its check: a strict
Content-Security-Policy, HSTS for at least a year, secure cookies, no framing, no
referrer to other sites, no caching of staff pages, and no personal data in logs or
error reports. With `--database default` it also checks that the app's PostgreSQL role
cannot undo the audit trail's protection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import connections
from django.utils.csp import CSP
from django.utils.module_loading import import_string

from cases.models import AuditEvent

CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
CSP_CONTEXT_PROCESSOR = "django.template.context_processors.csp"
NO_STORE_MIDDLEWARE = "cases.middleware.NoStoreForStaffMiddleware"
REDACTION_FILTER = "cases.redaction.RedactPersonalData"
EXCEPTION_REPORTER_FILTER = "cases.redaction.PrivateExceptionReporterFilter"

ONE_YEAR = 365 * 24 * 60 * 60

# Each directive that must be present, with the only values it may have.
REQUIRED_CSP_DIRECTIVES: dict[str, set[str]] = {
    "default-src": {CSP.SELF, CSP.NONE},
    "object-src": {CSP.NONE},
    "base-uri": {CSP.NONE},
    "frame-ancestors": {CSP.NONE},
    "form-action": {CSP.SELF},
}
# Sources that let an injected or third-party script run.
UNSAFE_SCRIPT_SOURCES = {
    CSP.UNSAFE_INLINE,
    CSP.UNSAFE_EVAL,
    CSP.UNSAFE_HASHES,
    CSP.WASM_UNSAFE_EVAL,
    "data:",
    "blob:",
}
# Source expressions that name no host: keywords, nonces, hashes and local schemes.
HOSTLESS_SOURCES = {
    CSP.SELF,
    CSP.NONE,
    CSP.NONCE,
    CSP.STRICT_DYNAMIC,
    CSP.REPORT_SAMPLE,
    CSP.UNSAFE_INLINE,
    CSP.UNSAFE_EVAL,
    CSP.UNSAFE_HASHES,
    CSP.WASM_UNSAFE_EVAL,
    "data:",
    "blob:",
}


def _sources(value: Any) -> list[str]:
    """A directive's values as build_policy() renders them, one source expression each."""
    if value in (None, False, True):
        return []
    if isinstance(value, str):
        value = [value]
    return [part for item in value for part in str(item).split()]


def _is_host_source(source: str) -> bool:
    return not (
        source in HOSTLESS_SOURCES
        or source.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-"))
    )


def _policy_errors(policy: Any) -> Iterable[Error]:
    if not isinstance(policy, dict) or not policy:
        yield Error(
            "SECURE_CSP is empty: no Content-Security-Policy header is sent.",
            hint="Set SECURE_CSP in reunite/settings.py (see its comment).",
            id="reunite.E002",
        )
        return
    for directive, allowed in REQUIRED_CSP_DIRECTIVES.items():
        sources = set(_sources(policy.get(directive)))
        if not sources or not sources <= allowed:
            yield Error(
                f"SECURE_CSP must have {directive} {' or '.join(sorted(allowed))}, "
                f"not {' '.join(sorted(sources)) or 'nothing'}.",
                id="reunite.E002",
            )
    script_sources = _sources(policy.get("script-src")) or _sources(policy.get("default-src"))
    unsafe = sorted(set(script_sources) & UNSAFE_SCRIPT_SOURCES)
    if unsafe:
        yield Error(
            f"SECURE_CSP lets injected scripts run: script-src allows {' '.join(unsafe)}.",
            hint="Give inline scripts the request's nonce ({% csp_nonce_attr %}) instead.",
            id="reunite.E003",
        )
    if CSP.NONCE not in _sources(policy.get("script-src")):
        yield Error(
            "SECURE_CSP's script-src has no CSP.NONCE, so no inline script can run safely.",
            id="reunite.E003",
        )
    hosts = sorted(
        {
            source
            for directive, value in policy.items()
            for source in _sources(value)
            if directive not in {"report-uri", "report-to"} and _is_host_source(source)
        }
    )
    if hosts:
        yield Error(
            f"SECURE_CSP allows other hosts: {' '.join(hosts)}. Pages must load nothing "
            "from third parties, which would learn who looks at which case.",
            hint="Serve the file from this site's static files instead.",
            id="reunite.E004",
        )


@register(Tags.security, deploy=True)
def check_content_security_policy(**kwargs: Any) -> list[CheckMessage]:
    """A strict CSP is enforced (not report-only) on every response."""
    errors: list[CheckMessage] = []
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE:
        errors.append(
            Error(
                f"{CSP_MIDDLEWARE} is not in MIDDLEWARE: no Content-Security-Policy is sent.",
                id="reunite.E001",
            )
        )
    errors.extend(_policy_errors(settings.SECURE_CSP))
    processors = [
        processor
        for template in settings.TEMPLATES
        for processor in template.get("OPTIONS", {}).get("context_processors", [])
    ]
    if CSP_CONTEXT_PROCESSOR not in processors:
        errors.append(
            Error(
                f"{CSP_CONTEXT_PROCESSOR} is not a context processor: templates cannot "
                "give inline scripts the nonce, so the admin's scripts would be blocked.",
                id="reunite.E005",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_strict_transport_security(**kwargs: Any) -> list[CheckMessage]:
    seconds = getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0
    if seconds < ONE_YEAR or not settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        return [
            Error(
                f"HSTS must last at least a year ({ONE_YEAR} s) and cover subdomains; "
                f"SECURE_HSTS_SECONDS is {seconds}.",
                hint="Set DJANGO_HSTS_SECONDS=31536000 once HTTPS works.",
                id="reunite.E010",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_secure_cookies(**kwargs: Any) -> list[CheckMessage]:
    weak = [
        name
        for name in (
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "CSRF_COOKIE_SECURE",
            "CSRF_COOKIE_HTTPONLY",
        )
        if not getattr(settings, name)
    ]
    if weak:
        return [
            Error(
                f"Cookies must be HTTPS-only and hidden from scripts: {', '.join(weak)} is off.",
                id="reunite.E011",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_no_framing(**kwargs: Any) -> list[CheckMessage]:
    if (
        settings.X_FRAME_OPTIONS != "DENY"
        or "django.middleware.clickjacking.XFrameOptionsMiddleware" not in settings.MIDDLEWARE
    ):
        return [
            Error(
                'Pages must never be framed: set X_FRAME_OPTIONS = "DENY" and keep '
                "XFrameOptionsMiddleware.",
                id="reunite.E012",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_referrer_policy(**kwargs: Any) -> list[CheckMessage]:
    policy = settings.SECURE_REFERRER_POLICY
    values = [policy] if isinstance(policy, str) or policy is None else list(policy)
    values = [part.strip() for value in values if value for part in value.split(",")]
    if not values or not set(values) <= {"same-origin", "no-referrer"}:
        return [
            Error(
                "Links to other sites must not reveal which case page they came from: "
                'set SECURE_REFERRER_POLICY = "same-origin".',
                id="reunite.E013",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_staff_pages_are_not_cached(**kwargs: Any) -> list[CheckMessage]:
    if NO_STORE_MIDDLEWARE not in settings.MIDDLEWARE:
        return [
            Error(
                f"{NO_STORE_MIDDLEWARE} is not in MIDDLEWARE: browsers and proxies may "
                "keep copies of case pages.",
                id="reunite.E014",
            )
        ]
    return []


def _is_subclass(dotted_path: str, base_path: str) -> bool:
    try:
        return issubclass(import_string(dotted_path), import_string(base_path))
    except (ImportError, TypeError):
        return False


@register(Tags.security, deploy=True)
def check_personal_data_stays_out_of_logs(**kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if not _is_subclass(settings.DEFAULT_EXCEPTION_REPORTER_FILTER, EXCEPTION_REPORTER_FILTER):
        errors.append(
            Error(
                "Error reports may show posted case data: DEFAULT_EXCEPTION_REPORTER_FILTER "
                f"must be {EXCEPTION_REPORTER_FILTER}.",
                id="reunite.E015",
            )
        )
    logging = settings.LOGGING or {}
    redacting = {
        name
        for name, config in logging.get("filters", {}).items()
        if _is_subclass(config.get("()", ""), REDACTION_FILTER)
    }
    unfiltered = sorted(
        name
        for name, config in logging.get("handlers", {}).items()
        if not redacting & set(config.get("filters", []))
    )
    if unfiltered or not redacting:
        errors.append(
            Error(
                "Log handlers without the personal-data filter: "
                f"{', '.join(unfiltered) or '(no filter defined)'}.",
                hint=f"Add a filter with '()': '{REDACTION_FILTER}' to every handler.",
                id="reunite.E016",
            )
        )
    return errors


# The connected role's tables (owned by it, or by a role it may act as: a superuser may
# act as any), and whether it may rewrite the audit trail.
DATABASE_ROLE_SQL = """
SELECT current_user,
       ARRAY(SELECT c.relname::text FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
               AND pg_has_role(c.relowner, 'MEMBER')
             ORDER BY 1),
       coalesce(has_table_privilege(to_regclass(%s), 'UPDATE, DELETE, TRUNCATE'), false)
"""


@register(Tags.database, deploy=True)
def check_database_role_cannot_rewrite_the_audit_trail(
    databases: Iterable[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """On PostgreSQL the app connects as a role that owns no table (an owner can disable the
    audit trail's trigger, or drop it) and may not TRUNCATE, UPDATE or DELETE the trail."""
    hint = (
        "Serve as a role that owns nothing, and run `manage.py migrate` as the owner with "
        'REUNITE_DB_APP_ROLE naming that role (README, "Running in production").'
    )
    errors: list[CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(DATABASE_ROLE_SQL, [AuditEvent._meta.db_table])
            user, owned, may_rewrite_trail = cursor.fetchone()
        if owned:
            errors.append(
                Error(
                    f"Database '{alias}': the app's role {user} owns {len(owned)} tables (or "
                    "may act as their owner), so it can disable or drop the audit trail's "
                    "append-only trigger.",
                    hint=hint,
                    id="reunite.E017",
                )
            )
        elif may_rewrite_trail:
            errors.append(
                Error(
                    f"Database '{alias}': the app's role {user} may TRUNCATE, UPDATE or DELETE "
                    "the audit trail.",
                    hint=hint,
                    id="reunite.E017",
                )
            )
    return errors
