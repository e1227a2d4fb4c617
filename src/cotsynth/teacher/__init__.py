"""Teacher traces: CoT sampled from an OpenAI-compatible endpoint, cached, retried and verified.

`sim` is teacher-sim, the stand-in endpoint for tests and benchmarks (see docs/teacher.md).
"""
