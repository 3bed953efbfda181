"""``python -m edge_agent.triage``: the same as ``edge-agent triage``."""

from edge_agent.triage.cli import main

raise SystemExit(main())
