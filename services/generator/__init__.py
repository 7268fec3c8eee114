"""The generator: builds execution-verified QAPs and keeps the pool at its target depth."""
