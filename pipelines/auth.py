"""Who may do what: the one permission table, the principal, and the check every write makes.

A :class:`Principal` is the account name and role of the person behind a call. Every
service that writes (review, measures, import, analysis, accounts) checks it against
:data:`PERMISSIONS` before it touches the database and refuses with
:class:`~pipelines.errors.PermissionDeniedError` — hiding a button is not the check.

=================  ==================================================================
role               may
=================  ==================================================================
Leitung            everything, plus the accounts
Sachbearbeitung    import, analyse, review clusters, measures; the workbench and reports
Ausschuss          the read-only committee view and the reports
Öffentlichkeit     the public report, without sign-in
=================  ==================================================================

The command line acts as :data:`LOCAL_OPERATOR` with the rights of Leitung: whoever
has a shell on the server can read and change the database anyway, so shell access
is admin access. The workbench with sign-in off (``auth.mode = "off"``) works the
same way and says so on every page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pipelines.errors import PermissionDeniedError
from pipelines.settings import ROLES

F = TypeVar("F", bound=Callable[..., Any])

LEITUNG, SACHBEARBEITUNG, AUSSCHUSS, PUBLIC = ROLES

#: action → what it is, in German (for the refusal)
ACTIONS: dict[str, str] = {
    "import": "Beiträge importieren",
    "analyse": "Konferenzen analysieren",
    "review": "Cluster prüfen und ändern",
    "measures": "Maßnahmen anlegen und ändern",
    "accounts": "Konten verwalten",
    "workbench": "die Seiten der Werkbank lesen",
    "committee_view": "die Ausschuss-Ansicht lesen",
    "reports": "Berichte und Exporte abrufen",
    "public_report": "den öffentlichen Bericht lesen",
}

_STAFF = frozenset({"import", "analyse", "review", "measures", "workbench", "committee_view", "reports",
                    "public_report"})

#: The one permission table: role → the actions it may take.
PERMISSIONS: dict[str, frozenset[str]] = {
    LEITUNG: _STAFF | {"accounts"},
    SACHBEARBEITUNG: _STAFF,
    AUSSCHUSS: frozenset({"committee_view", "reports", "public_report"}),
    PUBLIC: frozenset({"public_report"}),
}


@dataclass(frozen=True)
class Principal:
    """The person behind a call: the name that goes into the audit log and a role of :data:`PERMISSIONS`."""

    name: str
    role: str

    def __post_init__(self) -> None:
        if self.role not in PERMISSIONS:
            raise PermissionDeniedError(f"Unbekannte Rolle „{self.role}“. Erlaubt: {', '.join(PERMISSIONS)}.")

    def may(self, action: str) -> bool:
        return action in PERMISSIONS[self.role]


#: The command line (and a workbench with sign-in off): shell access is admin access.
LOCAL_OPERATOR = Principal("Kommandozeile", LEITUNG)


def as_principal(actor: str | Principal) -> Principal:
    """A principal for ``actor``; a plain name is someone without sign-in (command line, sign-in off): Leitung."""
    return actor if isinstance(actor, Principal) else Principal(actor, LEITUNG)


def require(principal: Principal, action: str) -> None:
    """Refuse ``action`` unless ``principal``'s role may take it.

    Raises:
        PermissionDeniedError: with the name, the role and what was refused (German).
    """
    if action not in ACTIONS:
        raise KeyError(action)  # a typo in our code, not a refusal
    if not principal.may(action):
        raise PermissionDeniedError(
            f"Keine Berechtigung: {principal.name} (Rolle {principal.role}) darf nicht {ACTIONS[action]}. "
            "Bitte die Leitung um eine passende Rolle bitten.")


def requires(action: str) -> Callable[[F], F]:
    """A method of a service that holds ``self.principal`` and takes ``action``: checked before it runs.

    The wrapper carries ``required_action``, so tests find every guarded write.
    """

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            require(self.principal, action)
            return method(self, *args, **kwargs)

        wrapper.required_action = action  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
