"""The heavy, read-only objects of a Taten process, built once per entry point."""

from __future__ import annotations

import dataclasses

import logging
import os
from dataclasses import dataclass

import yaml
from spacy.language import Language

from nlp.districts import Gazetteer
from nlp.embed import CachedEmbedder, Embedder, load_embedder
from nlp.lemmatize import build_pipeline
from nlp.text import text_hash
from nlp.themes import Taxonomy
from pipelines.errors import ConfigError, ModelUnavailableError
from pipelines.ingest import Pseudonymiser, Vocabularies
from pipelines.settings import Settings

logger = logging.getLogger(__name__)

# Nothing is ever fetched from a model hub: weights come inside installed packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass
class Resources:
    """Language pipeline, vocabularies and embedder."""

    nlp: Language
    vocab: Vocabularies
    embedder: Embedder


def load_vocabularies(settings: Settings) -> Vocabularies:
    data = settings.nlp.data_dir
    try:
        gazetteer = Gazetteer.from_yaml(data / settings.nlp.gazetteer)
        taxonomy = Taxonomy.from_yaml(data / settings.nlp.themes)
        groups = yaml.safe_load((data / settings.nlp.stakeholders).read_text(encoding="utf-8"))
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ConfigError(f"Stammdaten in {data} sind nicht lesbar: {exc}") from exc
    aliases = {}
    for group in groups["groups"]:
        for alias in [group["name"], *(group.get("aliases") or [])]:
            aliases[str(alias).casefold()] = group["name"]
    vocab = Vocabularies(taxonomy=taxonomy, gazetteer=gazetteer, stakeholder_aliases=aliases)
    return dataclasses.replace(vocab, pseudonymiser=build_pseudonymiser(settings, vocab))


def build_pseudonymiser(settings: Settings, vocab: Vocabularies) -> Pseudonymiser | None:
    """The pseudonymiser the import uses, or None where ``nlp.pseudonymise`` is switched off.

    Raises:
        ConfigError: pseudonymisation is on but its module or name lists are missing.
    """
    if not settings.nlp.pseudonymise:
        return None
    try:
        from nlp.pseudonymize import Pseudonymiser as NlpPseudonymiser
        from nlp.pseudonymize import load_name_lists
    except ImportError as exc:
        raise ConfigError(
            f"Pseudonymisierung ist eingeschaltet, aber nicht verfügbar ({exc}). "
            "Bitte die Installation prüfen oder nlp.pseudonymise bewusst ausschalten."
        ) from exc
    folder = settings.nlp.data_dir / settings.nlp.names
    try:
        names = load_name_lists(folder)
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ConfigError(f"Namenslisten in {folder} sind nicht lesbar: {exc}") from exc
    return NlpPseudonymiser(gazetteer=vocab.gazetteer, names=names)


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder behind the disk cache.

    An analysis keeps its vectors in the database instead and reads this disk cache
    only for vectors the database lacks (see :func:`pipelines.vectors.database_embedder`);
    work without a database (``taten cluster``) uses the disk cache alone.

    Raises:
        ModelUnavailableError: the model cannot be loaded offline.
    """
    name = settings.embedding.model
    try:
        embedder = load_embedder(name, e5_dir=settings.e5_dir, batch_size=settings.embedding.batch_size)
    except Exception as exc:  # sentence-transformers/torch raise many kinds
        hint = (
            "Bitte zuerst 'taten setup' ausführen (wandelt multilingual-e5-small um)."
            if "e5" in name else "Bitte Namen oder Pfad des Modells prüfen (kein Download möglich)."
        )
        raise ModelUnavailableError(f"Einbettungsmodell '{name}' ist nicht verfügbar: {exc}. {hint}") from exc
    return CachedEmbedder(embedder, settings.embedding_cache_dir, text_hash)


def build_resources(settings: Settings, embedder: Embedder | None = None) -> Resources:
    vocab = load_vocabularies(settings)
    assert vocab.gazetteer is not None
    nlp = build_pipeline(vocab.gazetteer.entries)
    return Resources(nlp=nlp, vocab=vocab, embedder=embedder or build_embedder(settings))
