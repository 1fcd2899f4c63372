"""The JSON export's schema (cases/exports/schema/case-export-v1.schema.json): real
exports at both levels validate against it, and it is exact: a field the summary gains
without the schema, or an internal field at the advocacy level, fails."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from jsonschema import Draft202012Validator

from cases.exports import formats, summary
from cases.exports.levels import Format, Level
from cases.exports.service import Layout
from tests.exports.test_formats import exported
from tests.factories import FamilyFactory

pytestmark = pytest.mark.django_db

SCHEMA_FILE = Path(settings.BASE_DIR) / formats.SCHEMA_PATH
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)


def errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(document)
    ]


def export(level: Level) -> dict[str, Any]:
    return json.loads(exported(level, Layout.CASES, Format.JSON))


@pytest.fixture
def documents(marked_case) -> dict[Level, dict[str, Any]]:
    FamilyFactory(name="Empty case", host_country="")  # a case with nothing on it yet
    return {level: export(level) for level in (Level.INTERNAL, Level.ADVOCACY)}


def test_the_schema_is_a_valid_draft_2020_12_schema_with_the_id_the_exports_name():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == formats.SCHEMA_ID
    assert SCHEMA["properties"]["schema"] == {"const": formats.SCHEMA_ID}
    assert SCHEMA["properties"]["schema_version"] == {"const": summary.SCHEMA_VERSION}
    assert f"v{summary.SCHEMA_VERSION}." in SCHEMA_FILE.name
    assert "Versioning" in SCHEMA["description"]


def _own(definition: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The properties and required names of a definition and of the one it extends."""
    properties = set(definition.get("properties", {}))
    required = set(definition.get("required", []))
    if ref := definition.get("$ref"):
        base = SCHEMA["$defs"][ref.removeprefix("#/$defs/")]
        base_properties, base_required = _own(base)
        properties |= base_properties
        required |= base_required
    return properties, required


@pytest.mark.parametrize(
    "name", [n for n, d in SCHEMA["$defs"].items() if "properties" in d or "$ref" in d]
)
def test_every_object_of_the_schema_requires_every_property_it_allows(name):
    properties, required = _own(SCHEMA["$defs"][name])

    assert properties == required


def test_an_internal_export_of_a_case_with_every_kind_of_record_is_valid(documents):
    document = documents[Level.INTERNAL]

    assert errors(document) == []
    case = next(c for c in document["cases"] if c["separations"])
    assert {len(case[key]) > 0 for key in ("members", "government_contacts", "timeline")} == {True}
    kinds = {item["kind"] for item in case["timeline"]}
    assert kinds == {
        "status",
        "condition",
        "separation",
        "contact",
        "response",
        "follow_up",
        "entry",
        "petition",
    }


def test_an_advocacy_export_of_the_same_case_is_valid(documents):
    assert errors(documents[Level.ADVOCACY]) == []


def test_an_internal_export_is_not_valid_as_an_advocacy_one(documents):
    document = copy.deepcopy(documents[Level.INTERNAL])
    document["level"] = "advocacy"

    assert errors(document) != []


# Where a field could be added: (key path to an object, at both levels).
PLACES = {
    "case": ["cases", 0],
    "member": ["cases", 0, "members", 1],
    "names": ["cases", 0, "members", 0, "names"],
    "choice": ["cases", 0, "status"],
    "country": ["cases", 0, "host_country"],
    "separation": ["cases", 0, "separations", 0],
    "status change": ["cases", 0, "separations", 0, "status_history", 0],
    "contact": ["cases", 0, "government_contacts", 0],
    "outcome": ["cases", 0, "government_contacts", 0, "outcome"],
    "timeline item": ["cases", 0, "timeline", 0],
}


def _at(document: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    for key in path:
        document = document[key]
    return document


@pytest.mark.parametrize("level", [Level.INTERNAL, Level.ADVOCACY])
@pytest.mark.parametrize("place", PLACES)
def test_a_field_the_schema_does_not_describe_fails(documents, level, place):
    document = copy.deepcopy(documents[level])
    _at(document, PLACES[place])["new_field"] = "x"

    assert errors(document) != []


INTERNAL_FIELDS = [
    (["cases", 0], "internal_summary"),
    (["cases", 0], "priority"),
    (["cases", 0], "team"),
    (["cases", 0], "restricted"),
    (["cases", 0, "members", 1], "notes"),
    (["cases", 0, "members", 1], "place"),
    (["cases", 0, "members", 1], "description"),
    (["cases", 0, "members", 1], "id_number"),
    (["cases", 0, "separations", 0], "details"),
    (["cases", 0, "separations", 0], "last_seen_place"),
    (["cases", 0, "separations", 0, "status_history", 0], "note"),
    (["cases", 0, "government_contacts", 0], "intermediary"),
    (["cases", 0, "timeline", 0], "by"),
]


@pytest.mark.parametrize(("path", "field"), INTERNAL_FIELDS)
def test_an_internal_field_in_an_advocacy_export_fails(documents, path, field):
    internal = _at(documents[Level.INTERNAL], path)
    document = copy.deepcopy(documents[Level.ADVOCACY])
    _at(document, path)[field] = internal[field]

    assert errors(document) != []


@pytest.mark.parametrize(("path", "field"), INTERNAL_FIELDS)
def test_an_internal_export_without_one_of_its_fields_fails(documents, path, field):
    document = copy.deepcopy(documents[Level.INTERNAL])
    del _at(document, path)[field]

    assert errors(document) != []


def test_the_names_or_birth_day_of_someone_not_named_fail_an_advocacy_export(documents):
    document = documents[Level.ADVOCACY]
    unnamed = next(m for m in document["cases"][0]["members"] if not m["named"])
    assert unnamed["names"] is None
    named = next(m for m in document["cases"][0]["members"] if m["named"])

    with_names = copy.deepcopy(document)
    next(m for m in with_names["cases"][0]["members"] if not m["named"])["names"] = named["names"]
    with_birth_day = copy.deepcopy(document)
    next(m for m in with_birth_day["cases"][0]["members"] if not m["named"])["born"] = "2009-06-15"

    assert errors(with_names) != []
    assert errors(with_birth_day) != []


def test_each_separation_points_at_its_person_among_the_members(documents):
    for document in documents.values():
        for case in document["cases"]:
            for separation in case["separations"]:
                assert case["members"][separation["member"]]["label"] == separation["person"]
