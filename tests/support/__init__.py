"""Test support shared by the test packages: servers, fakes, fixtures and strategies.

Test modules import from here, never from each other:

- ``servers``: an ASGI app served on loopback from a thread (``ServerThread``);
- ``fake_openai``: THE fake OpenAI-compatible model server (real HTTP on 127.0.0.1), standing
  in for paid cloud APIs, which cannot run on a test machine;
- ``processes``: daemons run as a user runs them, an MQTT requester, waits on conditions;
- ``stack``: one integration test's configs, topic prefix, ports and processes;
- ``fleet``: a settable clock and fleet stores on SQLite and PostgreSQL;
- ``concurrency``: calls released at the same moment (``together``);
- ``answerer``: a hand-written ``Answerer`` for the broker's link;
- ``admin_app``: the broker's HTTP app on loopback with a seeded fleet and a token per role;
- ``payloads``: hypothesis strategies for hostile requests and telemetry;
- ``gateway``: a gateway's request path built in process, as ``edge_agent.agent`` does;
- ``plant``: a table of real devices in a Registry, and skills over it;
- ``watched_gateway``: a running broker and gateway, one client on replies and actuators;
- ``gated_model``: a fake model server that answers only when the test lets it;
- ``bundles``, ``wheelhouse``, ``install``: offline bundles and install.sh in a temporary root.

Fixtures reach tests through the ``conftest.py`` of each test package, which imports them here.
"""
