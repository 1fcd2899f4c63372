"""Who may export at which level, and how many cases at once: `cases.exports.levels`.
Every refusal is on the audit trail before it is raised."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from cases.exports.levels import ExportRefused, Level, allowed_levels, check_export, max_cases
from cases.models import AuditEvent

pytestmark = pytest.mark.django_db

EVERY_LEVEL = [Level.INTERNAL, Level.ADVOCACY, Level.PUBLIC]


def refusals():
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED))


@pytest.mark.parametrize(
    ("role", "levels"),
    [
        ("worker", EVERY_LEVEL),
        ("supervisor", EVERY_LEVEL),
        ("advocate", [Level.ADVOCACY, Level.PUBLIC]),
        ("petition_editor", []),
    ],
)
def test_each_role_may_export_at_its_own_levels(request, role, levels):
    user = request.getfixturevalue(role)

    assert allowed_levels(user) == levels


def test_a_deactivated_account_or_an_anonymous_visitor_may_export_at_no_level(supervisor):
    supervisor.is_active = False

    assert allowed_levels(supervisor) == []
    assert allowed_levels(AnonymousUser()) == []


def test_an_allowed_level_passes_the_check_and_leaves_no_refusal(advocate):
    assert check_export(user=advocate, level="advocacy", cases=3) is Level.ADVOCACY
    assert refusals() == []


@pytest.mark.parametrize(
    ("role", "level"),
    [
        ("advocate", "internal"),
        ("petition_editor", "public"),
        ("petition_editor", "advocacy"),
    ],
)
def test_a_level_beyond_the_role_is_refused_as_a_permission_error_and_audited(request, role, level):
    user = request.getfixturevalue(role)

    with pytest.raises(ExportRefused) as refused:
        check_export(user=user, level=level, cases=1)

    assert isinstance(refused.value, PermissionDenied)  # a 403 on the web
    assert "may not export at this level" in str(refused.value)
    (refusal,) = refusals()
    assert refusal.actor == user
    assert refusal.detail == f"export level={level} cases=1"


def test_a_crafted_level_is_refused_and_audited_as_invalid(supervisor):
    with pytest.raises(ExportRefused):
        check_export(user=supervisor, level="everything", cases=1)

    (refusal,) = refusals()
    assert refusal.detail == "export level=invalid cases=1"


def test_a_refusal_for_a_visitor_who_is_not_signed_in_is_audited_without_an_actor():
    with pytest.raises(ExportRefused):
        check_export(user=AnonymousUser(), level="public")

    (refusal,) = refusals()
    assert refusal.actor is None


def test_a_selection_over_the_cap_is_refused_with_the_count_and_the_limit(settings, advocate):
    settings.EXPORT_MAX_CASES = 3

    assert check_export(user=advocate, level="advocacy", cases=3) is Level.ADVOCACY
    with pytest.raises(ExportRefused) as refused:
        check_export(user=advocate, level="advocacy", cases=4)

    assert str(refused.value) == (
        "This selection holds 4 cases; your role may export at most 3 at once. Narrow the filters."
    )
    (refusal,) = refusals()
    assert refusal.detail == "export level=advocacy cases=4"


def test_the_cap_holds_for_caseworkers_at_every_level(settings, worker):
    settings.EXPORT_MAX_CASES = 3

    assert max_cases(worker) == 3
    for level in EVERY_LEVEL:
        with pytest.raises(ExportRefused):
            check_export(user=worker, level=level, cases=4)
    assert len(refusals()) == 3


def test_supervisors_have_no_cap(settings, supervisor):
    settings.EXPORT_MAX_CASES = 3

    assert max_cases(supervisor) is None
    assert check_export(user=supervisor, level="internal", cases=100_000) is Level.INTERNAL
    assert refusals() == []


def test_the_service_leaves_out_a_case_its_reader_cannot_open_whatever_it_is_given(advocate):
    from cases.exports.service import export_cases
    from cases.models import Family
    from tests.factories import FamilyFactory

    FamilyFactory(reference="F-2026-0001")
    FamilyFactory(reference="F-2026-0002", restricted=True)

    export = export_cases(
        user=advocate,
        level=Level.ADVOCACY,
        layout="cases",
        fmt="csv",
        families=Family.objects.all(),  # a caller that forgot to narrow
    )

    text = b"".join(export.chunks).decode("utf-8-sig")
    assert export.cases == 1
    assert "F-2026-0001" in text
    assert "F-2026-0002" not in text
