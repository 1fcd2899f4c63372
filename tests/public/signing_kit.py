"""What the signing tests share: a filled-in form as a browser sends it, the links of the
mails, and the worker. Signers are fictional."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

import altcha
from django.core import mail

from cases.public.forms import issue_stamp

SIGNER_ADDRESS = "198.51.100.7"  # TEST-NET-2


def sign_url(petition, language: str = "en") -> str:
    return f"/{language}/petitions/{petition.slug}/sign/"


def thanks_url(petition, language: str = "en") -> str:
    return f"/{language}/petitions/{petition.slug}/thanks/"


def form_data(**fields) -> dict[str, str]:
    """The sign form as a person fills it in: a page drawn a minute ago, sent after 20 s."""
    data = {
        "name": "Ayla Example",
        "email": "ayla@example.org",
        "country": "BE",
        "postcode": "1000",
        "comment": "",
        "issued": issue_stamp(time.time() - 60),
        "elapsed": "20000",
        "website": "",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def post_sign(client, petition, *, address: str = SIGNER_ADDRESS, language: str = "en", **fields):
    return client.post(sign_url(petition, language), form_data(**fields), REMOTE_ADDR=address)


LINK = re.compile(r"https?://testserver(/\S+)")


def links(message) -> dict[str, str]:
    """The paths a mail links to, by kind: confirm, unsubscribe, erase, petition."""
    found = {}
    for path in LINK.findall(message.body):
        for kind in ("confirm", "unsubscribe", "erase"):
            if f"/petitions/{kind}/" in path:
                found[kind] = path
        segments = path.strip("/").split("/")
        if len(segments) == 3 and segments[1] == "petitions":
            found["petition"] = path
    return found


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def confirm_link(address: str = "ayla@example.org") -> str:
    """The confirmation link of the latest mail to `address` that has one."""
    return [links(m)["confirm"] for m in mails_to(address) if "confirm" in links(m)][-1]


def solved(challenge: dict) -> str:
    """What static/js/proof-of-work.js sends: the challenge and its solution, base64 JSON."""
    parsed = altcha.Challenge.from_dict(challenge)
    return altcha.Payload(parsed, altcha.solve_challenge(parsed)).to_base64()


def all_text(messages: Iterable) -> str:
    return "\n".join(f"{m.subject}\n{m.body}\n{m.extra_headers}" for m in messages)
