"""The QAP pool in Redis, with Dojo's `synthetic:` key layout: validation, storage, atomic hand-out, audit.

The gateway serves it to Dojo and hosts its gRPC front door; the generator pushes into it. Everything this
package writes stays under `synthetic:`; its own bookkeeping lives under `synthetic:mesh:` (see `keys`).
"""
