"""synthmesh services: one package per service, shared plumbing in `services.common`."""
