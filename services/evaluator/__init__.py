"""The evaluator: benchmarks, pass@k under named definitions, readable reports."""
