"""The gateway: Dojo's HTTP API over the QAP pool, and the pool's gRPC service, in one process and event loop."""
