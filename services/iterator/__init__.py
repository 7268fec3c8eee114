"""The iterator: program synthesis and repair from execution feedback (ReWOO, SEIDR, AlphaCodium, LLMcoder)."""
