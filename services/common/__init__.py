"""Shared plumbing for every synthmesh service: settings, logs, metrics, gRPC bootstrap, clients, Redis, LLMs.

Nothing here knows about questions, answers or sandboxes; business logic lives in the service packages.
"""
