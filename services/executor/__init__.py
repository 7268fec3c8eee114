"""The executor: runs untrusted Python, JavaScript and HTML in isolation and reports outcomes as data."""
