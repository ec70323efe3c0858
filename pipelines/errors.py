"""The error hierarchy of Taten, re-exported from :mod:`models.errors`.

It lives in ``models/`` so the store can raise :class:`StorageError`; pipelines,
the CLI and the workbench keep importing it from here.
"""

from __future__ import annotations

from models.errors import (
    ConfigError,
    InputError,
    ModelUnavailableError,
    PermissionDeniedError,
    ReviewConflictError,
    SignInError,
    StorageError,
    TatenError,
)

__all__ = [
    "ConfigError",
    "InputError",
    "ModelUnavailableError",
    "PermissionDeniedError",
    "ReviewConflictError",
    "SignInError",
    "StorageError",
    "TatenError",
]
