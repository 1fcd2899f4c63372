"""`full_clean()` for many instances at once: the models' own rules and messages, in a
number of queries that does not grow with the number of instances.

Django's `full_clean()` asks the database, for every instance, whether each foreign
key's row exists, whether each unique value is taken, and what each check constraint
says (a SELECT of its condition). For the 10,000 rows of a spreadsheet import (issue
10) that is tens of thousands of queries. `full_clean_all()` runs the same field
validators and `clean()` on each instance and asks the database once for each kind:

- a foreign key: which of the values exist, one query a field;
- a unique field, `unique_together` or total `UniqueConstraint`: which of the values
  are taken, one query each; and which repeat within the batch itself, as a model
  formset checks its forms (Django's `BaseModelFormSet.validate_unique`);
- a check constraint: judged in memory (`holds`) where it compares the instance's own
  fields with constants, by the database as `full_clean()` does otherwise.

The messages are Django's: the foreign key's "invalid" message, `unique_error_message`,
a constraint's `violation_error_message`. tests/test_validation.py checks that both
say the same.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import batched

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models
from django.db.models import Q

Errors = dict[str, list[ValidationError]]


def holds(condition: Q, instance: models.Model) -> bool | None:
    """Whether `instance` meets a check constraint's condition, judged in memory as
    the database would: None for anything but exact and isnull comparisons of the
    instance's own fields with constants, or a comparison with NULL (left to the
    database, whose three-valued logic decides those)."""
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            result = holds(child, instance)
        else:
            lookup, expected = child
            name, _sep, kind = lookup.partition("__")
            if kind not in ("", "exact", "isnull") or hasattr(expected, "resolve_expression"):
                return None
            field = instance._meta.get_field(name)
            actual = getattr(instance, field.attname)
            if kind == "isnull":
                result = (actual is None) == bool(expected)
            elif actual is None or expected is None:
                return None
            else:
                result = field.get_prep_value(actual) == field.get_prep_value(expected)
        if result is None:
            return None
        results.append(result)
    result = all(results) if condition.connector == Q.AND else any(results)
    return not result if condition.negated else result


def full_clean(instance: models.Model, *, exclude: Collection[str] = ()) -> None:
    """`instance.full_clean(exclude=…)`, as `full_clean_all` judges it."""
    if errors := full_clean_all([instance], exclude=exclude):
        raise errors[0]


def full_clean_all(
    instances: Sequence[models.Model], *, exclude: Collection[str] = ()
) -> dict[int, ValidationError]:
    """`full_clean(exclude=…)` of each of `instances` (of one model): the errors of
    those refused, by their index. A field refused by its own rules is left out of the
    unique and constraint checks, as `full_clean()` leaves it."""
    if not instances:
        return {}
    model = type(instances[0])
    keys = [f for f in model._meta.concrete_fields if f.many_to_one and f.name not in exclude]
    errors: list[Errors] = []
    for instance in instances:
        # A key with a value is looked up below, for every instance at once.
        looked_up = {f.name for f in keys if getattr(instance, f.attname) is not None}
        try:
            instance.full_clean(
                exclude={*exclude, *looked_up}, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors.append(error.update_error_dict({}))
        else:
            errors.append({})
    for field in keys:
        _check_key(field, instances, errors)
    skipped = [
        {*exclude, *(name for name in found if name != NON_FIELD_ERRORS)} for found in errors
    ]
    if any(
        f.unique_for_date or f.unique_for_month or f.unique_for_year for f in model._meta.fields
    ):
        for index, instance in enumerate(instances):  # Django's own check, a query each
            by_date = instance._get_unique_checks(exclude=skipped[index])[1]
            for name, found in instance._perform_date_checks(by_date).items():
                errors[index].setdefault(name, []).extend(found)
    checks: list[tuple[tuple[str, ...], models.UniqueConstraint | None]] = [
        (check, None) for _model, check in instances[0]._get_unique_checks(exclude=set(exclude))[0]
    ]
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            _check_condition(constraint, instances, skipped, errors)
        elif constraint in model._meta.total_unique_constraints and _plain(model, constraint):
            checks.append((tuple(constraint.fields), constraint))
        else:
            for index, instance in enumerate(instances):
                _validate(constraint, instance, skipped[index], errors[index])
    for fields, constraint in checks:
        _check_unique(model, fields, constraint, instances, skipped, errors)
    return {index: ValidationError(found) for index, found in enumerate(errors) if found}


def _plain(model: type[models.Model], constraint: models.UniqueConstraint) -> bool:
    """A unique constraint on plain fields, NULLs distinct: checked like a unique field."""
    fields = [model._meta.get_field(name) for name in constraint.fields]
    return constraint.nulls_distinct is not False and not any(f.generated for f in fields)


def _in_batches(values: Collection[object], *, per_item: int = 1) -> list[tuple[object, ...]]:
    """`values` in as few lists as a query may hold: one, unless the database limits a
    query's parameters (SQLite: 32,766) and there are more."""
    limit = connection.features.max_query_params
    return list(batched(values, limit // per_item if limit else max(len(values), 1)))


def _check_key(
    field: models.ForeignKey, instances: Sequence[models.Model], errors: list[Errors]
) -> None:
    """`ForeignKey.validate()`'s lookup, for every instance in one query."""
    wanted = {getattr(i, field.attname) for i in instances} - {None}
    if not wanted or field.remote_field.parent_link:
        return
    target = field.remote_field.field_name
    rows = field.remote_field.model._base_manager.complex_filter(field.get_limit_choices_to())
    found = {
        value
        for chunk in _in_batches(wanted)
        for value in rows.filter(**{f"{target}__in": chunk}).values_list(target, flat=True)
    }
    for index, instance in enumerate(instances):
        value = getattr(instance, field.attname)
        if value is None:
            continue
        try:
            if value not in found:
                raise ValidationError(
                    field.error_messages["invalid"],
                    code="invalid",
                    params={
                        "model": field.remote_field.model._meta.verbose_name,
                        "pk": value,
                        "field": target,
                        "value": value,
                    },
                )
            field.run_validators(value)
        except ValidationError as error:
            errors[index].setdefault(field.name, []).extend(error.error_list)


def _validate(
    constraint: models.BaseConstraint, instance: models.Model, exclude: set[str], errors: Errors
) -> None:
    """The constraint's own check, a query, and its error filed as `full_clean()` files it."""
    try:
        constraint.validate(type(instance), instance, exclude=exclude)
    except ValidationError as error:
        fields = getattr(constraint, "fields", ())
        if getattr(error, "code", None) == "unique" and len(fields) == 1:
            errors.setdefault(fields[0], []).append(error)
        else:
            errors.setdefault(NON_FIELD_ERRORS, []).extend(error.error_list)


def _check_condition(
    constraint: models.CheckConstraint,
    instances: Sequence[models.Model],
    skipped: list[set[str]],
    errors: list[Errors],
) -> None:
    condition = constraint.condition
    fields = condition.referenced_base_fields if isinstance(condition, Q) else None
    for index, instance in enumerate(instances):
        if fields is not None and fields & skipped[index]:
            continue  # refused on one of its fields already, as full_clean() does
        met = holds(condition, instance) if fields is not None else None
        if met is None:
            _validate(constraint, instance, skipped[index], errors[index])
        elif not met:
            errors[index].setdefault(NON_FIELD_ERRORS, []).append(
                ValidationError(
                    constraint.get_violation_error_message(), code=constraint.violation_error_code
                )
            )


def _check_unique(
    model: type[models.Model],
    names: tuple[str, ...],
    constraint: models.UniqueConstraint | None,
    instances: Sequence[models.Model],
    skipped: list[set[str]],
    errors: list[Errors],
) -> None:
    """A unique field, `unique_together` or plain unique constraint, for every instance:
    the values already taken, in one query, and the values repeated within the batch."""
    fields = [model._meta.get_field(name) for name in names]
    values: dict[int, tuple[object, ...]] = {}
    for index, instance in enumerate(instances):
        if set(names) & skipped[index]:
            continue
        value = tuple(f.get_prep_value(getattr(instance, f.attname)) for f in fields)
        nulls = connection.features.interprets_empty_strings_as_nulls
        if any(v is None or (v == "" and nulls) for v in value):
            continue  # NULL is never equal to NULL: no conflict, as Django skips it
        if any(f.primary_key for f in fields) and not instance._state.adding:
            continue  # editing: its own primary key is not a conflict
        values[index] = value
    if not values:
        return
    taken: dict[tuple[object, ...], set[object]] = {}
    for chunk in _in_batches(set(values.values()), per_item=len(fields)):
        lookups = {f"{f.name}__in": {value[i] for value in chunk} for i, f in enumerate(fields)}
        rows = model._default_manager.filter(**lookups)
        for pk, *row in rows.values_list("pk", *(f.attname for f in fields)):
            value = tuple(f.get_prep_value(v) for f, v in zip(fields, row, strict=True))
            taken.setdefault(value, set()).add(pk)
    seen: set[tuple[object, ...]] = set()
    for index, value in values.items():
        instance = instances[index]
        others = taken.get(value, set()) - ({instance.pk} if not instance._state.adding else set())
        if others or value in seen:
            error = _unique_error(model, instance, names, constraint)
            key = names[0] if len(names) == 1 and error.code == "unique" else NON_FIELD_ERRORS
            errors[index].setdefault(key, []).append(error)
        seen.add(value)


def _unique_error(
    model: type[models.Model],
    instance: models.Model,
    names: tuple[str, ...],
    constraint: models.UniqueConstraint | None,
) -> ValidationError:
    """The message `validate_unique()` or `UniqueConstraint.validate()` gives."""
    if constraint is None or (
        constraint.violation_error_message == constraint.default_violation_error_message
    ):
        error = instance.unique_error_message(model, names)
        return ValidationError(error.message, code=error.code, params=error.params)
    return ValidationError(
        constraint.get_violation_error_message(), code=constraint.violation_error_code
    )
