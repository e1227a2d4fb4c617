"""The report's Vendi routes agree with the exact computation."""

import numpy as np
import pytest

from cotsynth.diversity.vendi import DIMS, dual_vendi, exact_features, exact_vendi, hashed_features


def reference_vendi(features) -> float:
    """Vendi by definition: exp of the Shannon entropy of the eigenvalues of the n x n kernel K / n,
    from numpy's eigvalsh on the dense kernel (a separate solver from the one the report uses)."""
    dense = features.toarray() if hasattr(features, "toarray") else np.asarray(features)
    lam = np.linalg.eigvalsh(dense @ dense.T / len(dense))
    lam = lam[lam > 1e-12]
    lam = lam / lam.sum()
    return float(np.exp(-(lam * np.log(lam)).sum()))


def cot_texts(questions: list[str]) -> list[str]:
    return [f"Step 1: read {q} Step 2: combine the numbers. Step 3: the answer is {k % 89}." for k, q in enumerate(questions)]


@pytest.mark.parametrize("rows, dims", [(600, DIMS), (600, 256), (300, 64)])
def test_vendi_routes_agree_with_the_exact_kernel(clean, rows, dims):
    """Kernel route (rows < dims) and covariance route (rows >= dims) against the definition, within
    1e-3 relative, on templated questions and on CoT-like texts."""
    questions = clean.column("question").to_pylist()[:rows]
    for texts in (questions, cot_texts(questions)):
        features = hashed_features(texts, dims)
        want = reference_vendi(features)
        assert 2 < want < rows
        assert dual_vendi(features) == pytest.approx(want, rel=1e-3)
    exact = exact_features(questions)
    assert exact_vendi(exact) == pytest.approx(reference_vendi(exact), rel=1e-3)


def test_vendi_route_is_not_a_truncation(clean):
    """Near misses: a spectrum cut to its top half (what a truncated Lanczos solve sees) or order 2
    (1 / sum lambda^2) is off by far more than the tolerance, so the routes above do measure."""
    features = hashed_features(clean.column("question").to_pylist()[:400])
    dense = features.toarray()
    lam = np.sort(np.linalg.eigvalsh(dense @ dense.T / len(dense)))[::-1]
    lam = lam[lam > 1e-12] / lam[lam > 1e-12].sum()
    top = lam[: len(lam) // 2] / lam[: len(lam) // 2].sum()
    truncated, order2 = float(np.exp(-(top * np.log(top)).sum())), float(1 / (lam**2).sum())
    exact = dual_vendi(features)
    assert abs(truncated - exact) > 1e-2 * exact
    assert abs(order2 - exact) > 1e-2 * exact


def test_local_executor_runs_a_list_of_calls_in_order_on_threads():
    import threading

    from cotsynth.pipeline.executors import LocalExecutor

    executor = LocalExecutor()
    results = list(executor.imap(lambda k: (k, threading.current_thread().name), [(k,) for k in range(6)]))
    assert [k for k, _ in results] == list(range(6))
    if executor.threads > 1:
        assert all(name.startswith("cotsynth-imap") for _, name in results)
    assert list(executor.imap(lambda k: k * 2, iter([(1,), (2,)]))) == [2, 4]  # an iterator: in this thread
