"""The default sandbox: warm fork servers inside hardened bubblewrap, one per worker slot (see sandbox.md)."""
