"""The symbolic tier's worker process: math-verify on one pair at a time, strings in, verdicts out.

Run as a script (`python -I symbolic_worker.py MEMORY_MB`) by `worker_pool.py`; it imports nothing
from cotsynth so that it starts from any install. Protocol: one JSON object per line on stdin
(`{"gold": str, "pred": str}`), one JSON object per line on stdout (`{"status": ..., "reason": ...}`).
Parsed sympy objects never leave this process and are never printed, logged or `str()`-ed by this
code: a parsed power tower can hang when printed. The parent kills this process on timeout, which is
the only interruption that works inside sympy's C paths; the address-space rlimit stops memory bombs.
"""

from __future__ import annotations

import json
import logging
import re
import resource
import sys

_SPACES = re.compile(r"\s+")


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _load():
    """Import math-verify once per worker (this is the 0.4–0.9 s that a persistent worker saves)."""
    from latex2sympy2_extended.latex2sympy2 import NormalizationConfig, normalize_latex
    from math_verify import LatexExtractionConfig, parse, verify

    logging.disable(logging.CRITICAL)  # its messages may format parsed objects
    # Units off: "12 apples" must not silently become 12 (dropping content is the suffix hack).
    normalization = NormalizationConfig(
        basic_latex=True, units=False, malformed_operators=True, nits=True, boxed="all", equations=False)
    config = [LatexExtractionConfig(normalization_config=normalization)]
    return config, parse, verify, lambda text: normalize_latex(text, normalization)


def _parse_whole(text: str, config, parse, normalize):
    """The parsed object, or a reason: the whole answer must parse, not a prefix or a fragment.

    math-verify falls back to the last part of a chain `a = b = c` and to fragments of the match;
    either would let `<garbage> = 1` or `1+<garbage>` read as 1, so both are refused here.
    """
    if text.count("=") > 1 and "," not in text:
        return None, "is a chained equation"
    parsed = parse("$" + text + "$", extraction_config=config, fallback_mode="first_match",
                   extraction_mode="first_match", parsing_timeout=None)
    if len(parsed) != 2 or isinstance(parsed[0], str):
        return None, "not parseable as LaTeX math"
    extracted = parsed[1]
    if not isinstance(extracted, str) or _SPACES.sub("", extracted) != _SPACES.sub("", normalize(text)):
        return None, "only part of the answer parses"
    return parsed[0], ""


def compare(gold: str, pred: str, config, parse, verify, normalize) -> dict[str, str]:
    gold_obj, why = _parse_whole(gold, config, parse, normalize)
    if gold_obj is None:
        return {"status": "unverifiable", "reason": f"gold {why}"}
    pred_obj, why = _parse_whole(pred, config, parse, normalize)
    if pred_obj is None:
        return {"status": "unverifiable", "reason": f"prediction {why}"}
    equal = verify([gold_obj], [pred_obj], allow_set_relation_comp=True, timeout_seconds=None)
    if equal:
        return {"status": "match", "reason": "symbolically equivalent"}
    return {"status": "mismatch", "reason": "not symbolically equivalent"}


def main() -> None:
    _limit_memory(int(sys.argv[1]) if len(sys.argv) > 1 else 1024)
    sys.setrecursionlimit(4000)
    tools = _load()
    out = sys.stdout
    out.write('{"ready": true}\n')
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            reply = compare(request["gold"], request["pred"], *tools)
        except MemoryError:
            reply = {"status": "unverifiable", "reason": "symbolic tier ran out of memory"}
        except RecursionError:
            reply = {"status": "unverifiable", "reason": "expression nested too deeply for the symbolic tier"}
        except Exception as err:  # noqa: BLE001 - the message may embed a parsed object: keep the type only
            reply = {"status": "unverifiable", "reason": f"symbolic tier failed: {type(err).__name__}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
