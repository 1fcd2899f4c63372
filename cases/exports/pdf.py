"""PDF documents from HTML templates, with WeasyPrint.

Why WeasyPrint: it lays text out with Pango and HarfBuzz, so Uyghur is shaped (its
letters joined, right to left) and Chinese drawn from a real CJK font, in the same
engine; the document is an ordinary Django template.

Fonts come from the system through fontconfig: Debian's fonts-noto-core and
fonts-noto-cjk. The shared print stylesheet (static/css/print.css) names the stacks,
"Noto Sans", "Noto Sans Arabic" / "Noto Naskh Arabic", "Noto Sans CJK SC", and the
fonts used are embedded (subset) in the PDF, so the reader needs none of them.

Nothing is loaded from another host: an export must not tell a third party that it
was made (and when, and from where), nor depend on it. The template's base URL is a
name that cannot resolve (`.invalid`, RFC 2606), and the URL fetcher answers only our
own static files and `data:` URLs; anything else is refused and left out.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.templatetags.static import static
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Where the template's relative URLs point: a reserved name, so no request could leave.
OWN_ORIGIN = "https://reunite.invalid"


def _static_file(path: str) -> bytes | None:
    """A static file's bytes: found where the source tree keeps it (development, tests)
    or in the collected STATIC_ROOT (production, where `{% static %}` names carry a hash)."""
    try:
        found = finders.find(path)
        if found:
            with open(found, "rb") as file:
                return file.read()
        if staticfiles_storage.exists(path):
            with staticfiles_storage.open(path, "rb") as file:
                return file.read()
    except (SuspiciousFileOperation, ValueError):  # "../" and the like
        return None
    return None


class OwnFilesOnly(URLFetcher):
    """A WeasyPrint URL fetcher for our own static files and `data:` URLs, nothing else:
    no other host, no `file:` path, no redirect."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=["data"], allow_redirects=False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        prefix = OWN_ORIGIN + static("")
        if url.startswith(prefix):
            path = unquote(urlsplit(url).path[len(urlsplit(prefix).path) :])
            body = _static_file(path)
            if body is not None:
                content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
        raise ValueError(f"Not one of our own files: {url[:200]}")


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """The PDF of a template. It should extend "exports/base.html", which links the
    shared print stylesheet and sets the document's language and direction."""
    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=OWN_ORIGIN + "/", url_fetcher=OwnFilesOnly())
    return document.write_pdf()
