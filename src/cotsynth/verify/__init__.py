"""Verification: answer equivalence, step labels, sandboxed execution (see docs/verification.md).

Importing this package is cheap: math-verify and sympy load only inside the symbolic worker processes.
"""

from cotsynth.verify.equivalence import ANSWER_TYPES, Verdict, answers_match, check_answer, verdict_cache
from cotsynth.verify.extract import STRATEGIES, extract_answer

__all__ = ["ANSWER_TYPES", "STRATEGIES", "Verdict", "answers_match", "check_answer", "extract_answer",
           "verdict_cache"]
