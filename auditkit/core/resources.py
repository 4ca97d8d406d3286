"""Where the data that lives at the top of the repository (checklists, Word templates, migrations) is
found: inside the installed package when AuditKit was installed with `pip install .`, else in the
source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_CHECKOUT = _PACKAGE.parent


def data_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _CHECKOUT / name
