"""The `synthmesh` command line: run the whole stack locally, inspect it, and call each service."""
