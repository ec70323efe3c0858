"""Typer's own words in German: help, usage and error texts of ``taten``.

Typer looks some messages up through :mod:`gettext` (``_("Options")``), which has no
German catalogue for them: :func:`install` gives those modules a lookup that answers
from :data:`GERMAN` and sets the panel titles its Rich help computed at import time.
Its copy of Click writes the rest in English directly ("Usage:", "Show this message
and exit.", "Missing option …"): :class:`GermanGroup` and :class:`GermanCommand`
translate the help option, the usage line and usage errors (:func:`german_error`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup

GERMAN: dict[str, str] = {
    "Options": "Optionen",
    "Arguments": "Argumente",
    "Commands": "Befehle",
    "[default: {}]": "[Standard: {}]",
    "default: {default}": "Standard: {default}",
    "[required]": "[Pflicht]",
    "required": "Pflicht",
    "[env var: {}]": "[Umgebungsvariable: {}]",
    "env var: {var}": "Umgebungsvariable: {var}",
    "(deprecated) ": "(veraltet) ",
    "(dynamic)": "(dynamisch)",
    "Error": "Fehler",
    "Try [blue]'{command_path} {help_option}'[/] for help.": "Hilfe: [blue]'{command_path} {help_option}'[/]",
    "Missing command.": "Es fehlt ein Befehl.",
    "No such command {name!r}.": "Den Befehl {name!r} gibt es nicht.",
    "Aborted!": "Abgebrochen.",
    "Aborted.": "Abgebrochen.",
}

# Typer's modules that call gettext; its own copy of Click writes English directly,
# which the command classes below translate.
_MODULES = ("typer.core", "typer.rich_utils")
# Typer's Rich help computed these with gettext when it was imported.
_RICH_CONSTANTS = {
    "DEPRECATED_STRING": "(deprecated) ", "DEFAULT_STRING": "[default: {}]", "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]", "ARGUMENTS_PANEL_TITLE": "Arguments", "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands", "ERRORS_PANEL_TITLE": "Error", "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}
HELP = "Diese Hilfe anzeigen und beenden."

# Usage errors of Typer's Click, most specific first: (pattern, German with {x} and {y}).
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.DOTALL), g) for p, g in (
    (r"^Missing option (?P<x>.+?)\.?$", "Es fehlt die Option {x}."),
    (r"^Missing argument (?P<x>.+?)\.?$", "Es fehlt das Argument {x}."),
    (r"^Missing parameter:? (?P<x>.+?)\.?$", "Es fehlt die Angabe {x}."),
    (r"^No such option:? (?P<x>\S+?)\.?(?: \(Possible options: (?P<y>.+)\))?$", "Die Option {x} gibt es nicht.{y}"),
    (r"^Den Befehl (?P<x>.+?) gibt es nicht\.?(?: Did you mean (?P<y>.+)\?)?$",
     "Den Befehl {x} gibt es nicht.{y}"),
    (r"^Invalid value for (?P<x>.+?): .*valid integer.*$",
     "Ungültiger Wert für {x}: Bitte eine ganze Zahl angeben."),
    (r"^Invalid value for (?P<x>.+?): .*valid (?:number|float).*$",
     "Ungültiger Wert für {x}: Bitte eine Zahl angeben."),
    (r"^Invalid value for (?P<x>.+?): .*(?:does not exist|not found).*$",
     "Ungültiger Wert für {x}: Das gibt es nicht."),
    (r"^Invalid value for (?P<x>.+?): .*$", "Ungültiger Wert für {x}."),
    (r"^Got unexpected extra argument(?:s|\(s\))? \((?P<x>.+)\)$", "Unerwartete zusätzliche Angabe ({x})."),
    (r"^Option (?P<x>.+?) requires an argument\.$", "Die Option {x} braucht einen Wert."),
))


def german_error(message: str) -> str:
    """A usage error of Typer's Click in German; an unknown one as it is."""
    for pattern, german in _ERRORS:
        match = pattern.match(message.strip())
        if match:
            found = match.groupdict()
            suggestion = found.get("y")
            return german.format(x=found["x"], y=f" Meinten Sie {suggestion}?" if suggestion else "")
    return message


def gettext(message: str) -> str:
    return GERMAN.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Make Typer's help and panel titles German from now on (idempotent)."""
    for name in _MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
    rich_utils = importlib.import_module("typer.rich_utils")
    for constant, message in _RICH_CONSTANTS.items():
        setattr(rich_utils, constant, gettext(message))


def _german_help_option(option: Any) -> Any:
    if option is not None:
        option.help = HELP
    return option


def _german_usage(usage: str) -> str:
    for english, german in (("Usage: ", "Aufruf: "), ("[OPTIONS]", "[OPTIONEN]"), ("COMMAND [ARGS]...", "BEFEHL …")):
        usage = usage.replace(english, german, 1)
    return usage


@contextmanager
def _german_errors() -> Iterator[None]:
    try:
        yield
    except UsageError as exc:
        if isinstance(exc, NoArgsIsHelpError):  # shows the help, no message
            raise
        raise UsageError(german_error(exc.format_message()), ctx=exc.ctx) from None


class GermanCommand(TyperCommand):
    """A command whose help option, usage line and usage errors are German."""

    def get_help_option(self, ctx: Any) -> Any:
        return _german_help_option(super().get_help_option(ctx))

    def get_usage(self, ctx: Any) -> str:
        return _german_usage(super().get_usage(ctx))

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _german_errors():
            return super().make_context(*args, **kwargs)


class GermanGroup(TyperGroup):
    """The ``taten`` group: German help option, usage line and usage errors, its commands' too."""

    def get_help_option(self, ctx: Any) -> Any:
        return _german_help_option(super().get_help_option(ctx))

    def get_usage(self, ctx: Any) -> str:
        return _german_usage(super().get_usage(ctx))

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _german_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _german_errors():
            return super().invoke(ctx)
