"""The one typed settings object.

Read once per entry point (CLI, UI) with :func:`load_settings`; its sections are
passed down as plain values. Environment variables use the prefix ``TATEN_`` and
``__`` for nesting (``TATEN_CLUSTERING__K=12``); ``TATEN_DATABASE_URL`` sets the
database. A typo in a key fails loudly (``extra="forbid"``).
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from pipelines.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_home() -> Path:
    """Folder for the default database, caches and converted models."""
    return Path(os.environ.get("TATEN_HOME", REPO_ROOT / ".taten"))


# The YAML file of the load_settings call in progress (its lowest-priority source).
_FILE_VALUES: ContextVar[dict[str, Any]] = ContextVar("taten_settings_file", default={})


class _FileSource(PydanticBaseSettingsSource):
    """Values from the YAML file that :func:`load_settings` read."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return _FILE_VALUES.get().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_VALUES.get())


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NlpSettings(_Section):
    """German text processing."""

    data_dir: Path = REPO_ROOT / "data"
    gazetteer: str = "districts/dueren.yml"
    themes: str = "themes.yml"
    stakeholders: str = "stakeholders.yml"
    min_theme_confidence: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Inferred themes below this confidence become 'Ohne Thema' instead of a guess. "
        "0.5 measured on the demo conference (scripts/evaluate_themes.py): 8 % wrongly themed, "
        "and two thirds of off-topic cycling contributions go to 'Ohne Thema'.",
    )
    use_themes: bool = Field(
        True,
        description="False (taten analyse --no-themes): themes are neither taken from the notes nor "
        "inferred; every note is 'Ohne Thema' and the conference is clustered as one group.",
    )
    pseudonymise: bool = Field(
        True,
        description="Replace names, phone numbers, e-mail and street addresses, IBANs, dates of birth and "
        "Aktenzeichen with typed placeholders before a note is stored. Switch off only on purpose.",
    )
    names: str = "names"
    district_map: str = Field(
        "districts/dueren.geojson",
        description="GeoJSON (EPSG:4326) with one feature per Sozialraum, property 'name'; drawn as the map "
        "in the workbench and the reports. A missing file means no map.",
    )
    indicator_themes: str = Field(
        "indicators/themes.yml",
        description="Which indicators show which theme (and whether high or low values signal need); "
        "read by the comparison of voices and data.",
    )


class EmbeddingSettings(_Section):
    """Which sentence-transformers model embeds the contributions.

    ``model`` is ``"use+e5"`` (default), ``"use"``, ``"e5"`` or any
    sentence-transformers model name or local folder.
    """

    model: str = "use+e5"
    batch_size: int = Field(16, ge=1)
    cache_dir: Path | None = None
    e5_dir: Path | None = None


class ClusteringSettings(_Section):
    """How concern clusters are formed within each theme."""

    k: int | None = Field(None, ge=1, description="Fixed number of clusters; None lets the method choose.")
    per_theme: bool = True
    seed: int = 0
    lexical_weight: float = Field(0.0, ge=0.0)


class RankingSettings(_Section):
    """Weights of the recurrence score (see nlp.rank)."""

    support: float = 1.0
    tables: float = 1.0
    rounds: float = 0.5
    groups: float = 1.0
    districts: float = 0.5
    conferences: float = 1.0


class ComparisonSettings(_Section):
    """When voices and data count as apart (see pipelines.voices)."""

    ratio: float = Field(
        1.5, gt=1.0,
        description="An indicator is conspicuous at this many times the city's value (or at most its "
        "inverse where low values signal need).",
    )
    few_notes: float = Field(
        0.05, ge=0.0, le=1.0,
        description="A district is seldom named below this share of all notes of active concerns.",
    )
    min_notes: int = Field(
        2, ge=1, description="A concern is raised for a district when at least this many of its notes name it.",
    )
    population: str = Field(
        "Einwohner", description="The indicator that weights the districts in the city's value.",
    )


class StorageSettings(_Section):
    """Where the data live."""

    url: str | None = None


#: The roles of Taten (see pipelines.auth.PERMISSIONS); kept here so a setting can be checked against them.
ROLES = ("Leitung", "Sachbearbeitung", "Ausschuss", "Öffentlichkeit")


class AuthSettings(_Section):
    """Sign-in to the workbench (see ``pipelines.auth`` and the README, "Anmeldung").

    ``mode``: ``"off"`` (no sign-in; every visitor may change everything, the workbench
    says so), ``"accounts"`` (built-in accounts, ``taten user …``) or ``"oidc"`` (the
    city's identity provider through ``st.login``, configured in ``.streamlit/secrets.toml``).
    """

    mode: Literal["off", "accounts", "oidc"] = "off"
    idle_minutes: float = Field(30, gt=0, description="A session without a click for this long ends.")
    absolute_hours: float = Field(10, gt=0, description="A session ends this long after its sign-in.")
    max_failures_per_account: int = Field(5, ge=1, description="Failed sign-ins per account within the window.")
    max_failures_per_client: int = Field(20, ge=1, description="Failed sign-ins per client address within the window.")
    failure_window_minutes: float = Field(15, gt=0)
    min_password_length: int = Field(10, ge=8)
    oidc_provider: str | None = Field(None, description="The [auth.NAME] section of secrets.toml; None: [auth].")
    oidc_role_claim: str = Field("roles", description="The claim of the identity token that holds roles or groups.")
    oidc_roles: dict[str, str] = Field(
        default_factory=dict,
        description="Claim value → Taten role, e.g. {'taten-leitung': 'Leitung'}. A person whose claim maps to no "
        "role gets the role of the Taten account with the same e-mail, else no access.",
    )

    @field_validator("oidc_roles")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value.values()) - set(ROLES))
        if unknown:
            raise ValueError(f"unbekannte Rolle(n) {', '.join(unknown)}; erlaubt: {', '.join(ROLES)}")
        return value


class Settings(BaseSettings):
    """All settings of one Taten process."""

    model_config = SettingsConfigDict(
        env_prefix="TATEN_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    nlp: NlpSettings = NlpSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    clustering: ClusteringSettings = ClusteringSettings()
    ranking: RankingSettings = RankingSettings()
    comparison: ComparisonSettings = ComparisonSettings()
    storage: StorageSettings = StorageSettings()
    auth: AuthSettings = AuthSettings()
    database_url: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FileSource(settings_cls)

    @property
    def db_url(self) -> str:
        """The database URL: ``TATEN_DATABASE_URL``, then storage.url, then a SQLite file."""
        url = self.database_url or self.storage.url
        return url or f"sqlite:///{default_home() / 'taten.sqlite'}"

    @property
    def embedding_cache_dir(self) -> Path:
        return self.embedding.cache_dir or default_home() / "cache"

    @property
    def e5_dir(self) -> Path:
        return self.embedding.e5_dir or default_home() / "models" / "multilingual-e5-small"


def load_settings(path: Path | None = None, **overrides: object) -> Settings:
    """Build the settings. Strongest first: ``overrides`` (CLI options), environment
    variables, the YAML file at ``path``, the defaults. Sections merge key by key.

    Raises:
        ConfigError: the file is unreadable or a value is invalid (German message).
    """
    file_values: dict[str, Any] = {}
    if path is not None:
        try:
            file_values = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"Einstellungsdatei {path} ist nicht lesbar: {exc}") from exc
        if not isinstance(file_values, dict):
            raise ConfigError(f"Einstellungsdatei {path} muss Abschnitte enthalten (z. B. 'clustering:').")
    token = _FILE_VALUES.set(file_values)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"Ungültige Einstellung – {problems}") from exc
    finally:
        _FILE_VALUES.reset(token)
