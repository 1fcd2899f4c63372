"""Reading the public pages' HTML the way the tests need: the root element, the links
of the language switcher, every script, style and address in the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    html_attrs: dict[str, str] = field(default_factory=dict)
    language_links: list[dict[str, str]] = field(default_factory=list)
    scripts: list[dict[str, str]] = field(default_factory=list)
    inline_scripts: int = 0
    style_elements: int = 0
    style_attributes: int = 0
    addresses: list[str] = field(default_factory=list)  # src, href, action, content URLs
    meta: dict[str, str] = field(default_factory=dict)
    forms: list[dict[str, str]] = field(default_factory=list)
    hidden_inputs: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in_languages = False
        self._in_script = False
        self._script_src = ""
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        page = self.page
        if "style" in attr:
            page.style_attributes += 1
        if tag == "html":
            page.html_attrs = attr
        elif tag == "nav" and "languages" in attr.get("class", ""):
            self._in_languages = True
        elif tag == "a" and self._in_languages:
            page.language_links.append(attr)
        elif tag == "script":
            page.scripts.append(attr)
            self._in_script = True
            self._script_src = attr.get("src", "")
            self._script_text = []
        elif tag == "style":
            page.style_elements += 1
        elif tag == "meta":
            key = attr.get("property") or attr.get("name")
            if key:
                page.meta[key] = attr.get("content", "")
        elif tag == "form":
            page.forms.append(attr)
        elif tag == "input" and attr.get("type") == "hidden":
            page.hidden_inputs.append(attr.get("name", ""))
        for name in ("src", "href", "action"):
            if attr.get(name):
                page.addresses.append(attr[name])

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_languages = False
        elif tag == "script":
            if not self._script_src and "".join(self._script_text).strip():
                self.page.inline_scripts += 1
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self._script_text.append(data)


def read(content: bytes | str) -> Page:
    parser = _Parser()
    parser.feed(content.decode() if isinstance(content, bytes) else content)
    parser.close()
    return parser.page
