"""Verification: answer equivalence, step labels, sandboxed execution (see docs/verification.md)."""
