"""The bottom of the import graph: what every stage shares and nothing else defines.

The step graph, exact arithmetic and polynomials, content-addressed seeding, counting over compact
columns, and the vocabulary of granularities, styles and splits. Imports nothing else of cotsynth.
"""
