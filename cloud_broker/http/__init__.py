"""Everything the broker serves over HTTP: the admin API and its roles and audit log, the
OpenAI-compatible ``/v1`` endpoint, and the dashboard."""
