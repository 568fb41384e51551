"""Form helpers shared by the apps."""

from __future__ import annotations

from typing import Any, cast

from django import forms


def choice_pairs(field: forms.ChoiceField) -> list[tuple[Any, Any]]:
    """A choice field's ``(value, label)`` pairs.

    Django normalises ``choices`` to a list of pairs when they are set; the stubs type the getter
    with everything the setter accepts (mappings, ``Choices`` classes, callables), so this says
    what it reads back. Only for fields whose choices are a static list, not a callable.
    """
    return cast("list[tuple[Any, Any]]", field.choices)
