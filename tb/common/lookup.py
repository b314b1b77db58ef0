"""Find an item by name in a description's list, with an error that says what there is."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def by_name(items: Sequence[Any], name: str, missing: str) -> Any:
    """The item of `items` whose `.name` is `name`, else KeyError(`missing` and the known names)."""
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"{missing} (has: {', '.join(i.name for i in items)})")
