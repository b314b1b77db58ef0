"""Read a user's YAML file with an error that names it: a file the user wrote (a DUT
description, a role map) fails as the caller's own error type, never as a bare OSError."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path, error: type[Exception], where: str | None = None) -> Any:
    """The parsed content of `path`; `error(f"{where}: ...")` when it cannot be read or parsed."""
    where = where or str(path)
    try:
        return yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise error(f"{where}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{where}: not valid YAML: {exc}") from exc
