"""The one exception hierarchy of Taten.

    TatenError                 base; its message is German and fit for a user
    ├── InputError             a file or value from people is unusable (encoding, column, empty)
    ├── ConfigError            a setting is wrong or contradicts another
    ├── ModelUnavailableError  an embedding model cannot be found or loaded offline
    ├── StorageError           the database cannot be opened or written
    ├── ReviewConflictError    a record changed since it was read (optimistic locking)
    ├── PermissionDeniedError  the signed-in person's role does not allow the action
    └── SignInError            a sign-in is refused, or a session expired or was ended

Third-party failures are wrapped at the boundary: ``raise InputError(...) from exc``.
The CLI prints ``str(error)`` as one line and exits non-zero.

The hierarchy lives in ``models/`` (the lowest layer) so that the store can raise
:class:`StorageError`; ``pipelines.errors`` re-exports it for everything above.
"""

from __future__ import annotations


class TatenError(Exception):
    """Base of all errors Taten raises on purpose."""


class InputError(TatenError):
    """A file or value supplied by a person cannot be used."""


class ConfigError(TatenError):
    """A setting is invalid."""


class ModelUnavailableError(TatenError):
    """An embedding model cannot be loaded offline."""


class StorageError(TatenError):
    """The database cannot be opened, migrated or written."""


class ReviewConflictError(TatenError):
    """Someone else changed the record since it was read."""


class PermissionDeniedError(TatenError):
    """The person's role does not allow the action (see ``pipelines.auth.PERMISSIONS``)."""


class SignInError(TatenError):
    """A sign-in is refused (wrong password, too many attempts, disabled account), or a session ended."""
