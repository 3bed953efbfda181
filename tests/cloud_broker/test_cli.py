"""``cloud-broker`` as an operator runs it: a real process against a real broker app on
loopback. Each command runs in both output modes; stdout, stderr and the exit code are
checked (0 ok, 1 failed, 2 usage), with options typed after the subcommand."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud_broker.errors import Unauthenticated
from tests.support.admin_app import BOOTSTRAP_TOKEN
from tests.support.bundles import tiny_bundle
from tests.support.operator_broker import OperatorBroker, start_operator_broker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OperatorBroker]:
    """One seeded broker app for the module; tests that change it use their own objects."""
    running = start_operator_broker(tmp_path_factory.mktemp("broker"))
    yield running
    running.server.stop()
    running.store.close()


def run(*args: str, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``cloud-broker ARGS`` in a fresh process, from an empty directory."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NANOGATE_")}
    environ.update({"PYTHONPATH": str(ROOT), "COLUMNS": "100", **(env or {})})
    return subprocess.run([sys.executable, "-m", "cloud_broker", *args], capture_output=True,
                          text=True, timeout=timeout, env=environ, stdin=subprocess.DEVNULL,
                          cwd=tempfile.gettempdir())


def cli(broker: OperatorBroker, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """A command against the broker, with the connection options after the subcommand."""
    return run(*args, "--url", broker.url, "--token", BOOTSTRAP_TOKEN, **kw)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a command that must have succeeded quietly."""
    assert done.returncode == 0, done.stderr
    assert "cloud-broker:" not in done.stderr and "Traceback" not in done.stderr
    return done.stdout


# each command, readable and --json -------------------------------------------------------

Check = Callable[[Any], bool]
READ_COMMANDS: list[tuple[list[str], list[str], Check]] = [
    (["fleet", "ls"], ["Gateway", "gw-1", "plant-7", "online", "offline", "82 %"],
     lambda d: {g["id"] for g in d} == {"gw-1", "gw-2"}),
    (["fleet", "show", "gw-1"], ["Answered locally", "82 %", "Outbox", "set_log_level",
                                "failed", "unknown level"],
     lambda d: d["id"] == "gw-1" and len(d["commands"]) == 3),
    (["usage", "--since", "24h"], ["Spent in the cloud 0.0436 USD", "Saved by the edge",
                                   "ci-bot", "plant-9", "cloud-large", "API key ci-bot",
                                   "150 %"],
     lambda d: d["currency"] == "USD" and round(d["cost"], 4) == 0.0436
     and [k["name"] for k in d["keys"]] == ["ci-bot"]),
    (["keys", "ls"], ["No API keys yet"], lambda d: d == []),
    (["tokens", "ls"], ["viewer-tester", "operator", "live"],
     lambda d: {"viewer-tester", "admin-tester"} <= {t["name"] for t in d}),
    (["audit"], ["Time", "Who", "Action"], lambda d: isinstance(d, list)),
    (["fleet", "artefact", "ls"], ["site.toml", "v2", "config"],
     lambda d: [(a["name"], a["version"]) for a in d] == [("site.toml", "v2")]),
    (["fleet", "rollout", "status"], ["site.toml", "running", "1/1"],
     lambda d: [r["state"] for r in d] == ["running"]),
]


@pytest.mark.parametrize("args, shown, check", READ_COMMANDS,
                         ids=[" ".join(a[:3]) for a, _, _ in READ_COMMANDS])
def test_read_commands_in_both_output_modes(broker: OperatorBroker, args: list[str],
                                            shown: list[str], check: Check) -> None:
    """Readable by default (no JSON, no None, no epoch seconds); JSON with --json."""
    human = ok(cli(broker, *args))
    assert not human.lstrip().startswith(("{", "[")), human
    for text in shown:
        assert text in human, (text, human)
    assert "None" not in human and not re.search(r"\b1[6-9]\d{8}(\.\d+)?\b", human)
    assert check(json.loads(ok(cli(broker, *args, "--json"))))


def test_one_rollout_in_both_modes(broker: OperatorBroker) -> None:
    """``rollout status ID`` shows waves and gateways; pause and resume say what happened."""
    [rollout] = json.loads(ok(cli(broker, "fleet", "rollout", "status", "--json")))
    human = ok(cli(broker, "fleet", "rollout", "status", rollout["id"]))
    assert f"Rollout {rollout['id']}" in human and "wave 1 of 1" in human and "gw-1" in human
    assert json.loads(ok(cli(broker, "fleet", "rollout", "status", rollout["id"], "--json")))[
        "waves"][0]["devices"] == ["gw-1"]
    assert "paused" in ok(cli(broker, "fleet", "rollout", "pause", rollout["id"]))
    resumed = json.loads(ok(cli(broker, "fleet", "rollout", "resume", rollout["id"], "--json")))
    assert resumed["state"] == "running"


def test_create_commands_in_both_modes(broker: OperatorBroker, tmp_path: Path) -> None:
    """Secrets print alone on stdout (scriptable); --json gives the whole record."""
    key = ok(cli(broker, "keys", "create", "--name", "ops")).strip()
    assert key.startswith("ng-") and "\n" not in key
    made = json.loads(ok(cli(broker, "keys", "create", "--name", "ops-2", "--json")))
    assert made["key"].startswith("ng-") and made["name"] == "ops-2"
    listed = ok(cli(broker, "keys", "ls"))
    assert "ops-2" in listed and "live" in listed and "None" not in listed
    assert "revoked API key" in ok(cli(broker, "keys", "revoke", made["id"]))
    assert re.search(r"revoked \d+ s ago", ok(cli(broker, "keys", "ls")))
    secret = ok(cli(broker, "tokens", "create", "--name", "erin", "--role", "viewer")).strip()
    assert broker.access.verify(secret) is not None
    token = json.loads(ok(cli(broker, "fleet", "token", "create", "--site", "plant-9",
                              "--json")))
    assert token["site"] == "plant-9" and token["token"].startswith("nge_")
    assert ok(cli(broker, "fleet", "token", "create", "--site", "x")).strip().startswith("nge_")
    artefact = tmp_path / "site.toml"
    artefact.write_text("[gateway]\nsite = 'plant-9'\n")
    pushed = cli(broker, "fleet", "artefact", "push", str(artefact), "--kind", "config",
                 "--version", "v9")
    assert "published site.toml v9 (config" in ok(pushed) and "uploading" in pushed.stderr
    doc = json.loads(ok(cli(broker, "fleet", "artefact", "push", str(artefact), "--kind",
                            "config", "--version", "v10", "--json")))
    assert doc["version"] == "v10" and doc["signature"]


def test_artefact_push_kind_agent_publishes_a_bundle(broker: OperatorBroker,
                                                     tmp_path: Path) -> None:
    """``artefact push --kind agent`` signs a bundle; one naming another version is refused."""
    path = tmp_path / "nanogate-0.2.0-linux.tar.gz"
    path.write_bytes(tiny_bundle(tmp_path, "0.2.0"))
    push = ("fleet", "artefact", "push", str(path), "--kind", "agent", "--name", "agent-cli")
    doc = json.loads(ok(cli(broker, *push, "--version", "0.2.0", "--json")))
    assert doc["kind"] == "agent" and doc["version"] == "0.2.0" and doc["signature"]
    wrong = cli(broker, *push, "--version", "0.3.0")
    assert wrong.returncode == 1 and "push it as --version 0.2.0" in wrong.stderr


def test_revoke_a_gateway_in_both_modes(broker: OperatorBroker) -> None:
    """``fleet revoke`` stops a gateway's credential; ls shows it revoked."""
    for device in ("gw-r1", "gw-r2"):
        broker.store.enrol(broker.store.create_enrol_token(site="plant-9", tags=[]), device, "")
    assert ok(cli(broker, "fleet", "revoke", "gw-r1")).strip() == "revoked gateway gw-r1"
    assert json.loads(ok(cli(broker, "fleet", "revoke", "gw-r2", "--json"))) == {
        "revoked": "gw-r2"}
    assert "revoked" in ok(cli(broker, "fleet", "ls"))
    missing = cli(broker, "fleet", "revoke", "gw-404")
    assert missing.returncode == 1 and missing.stdout == ""
    assert "404" in missing.stderr and "gw-404" in missing.stderr


def test_enrolment_tokens_are_listed_and_revoked_in_both_modes(broker: OperatorBroker) -> None:
    """``fleet token ls`` shows a new token live (never its secret); ``fleet token revoke``
    ends it: ls shows it revoked and a gateway enrolling with it is refused."""
    secret = ok(cli(broker, "fleet", "token", "create", "--site", "plant-rv", "--tags",
                    "line-r")).strip()
    [made] = [t for t in json.loads(ok(cli(broker, "fleet", "token", "ls", "--json")))
              if t["site"] == "plant-rv"]
    assert (made["tags"], made["revoked"], made["used_by"]) == (["line-r"], None, None)
    listed = ok(cli(broker, "fleet", "token", "ls"))
    row = next(line for line in listed.splitlines() if made["id"] in line)
    assert "plant-rv" in row and "line-r" in row and "live" in row
    assert secret not in listed and "None" not in listed
    assert ok(cli(broker, "fleet", "token", "revoke", made["id"])).strip() == (
        f"revoked enrolment token {made['id']}")
    row = next(line for line in ok(cli(broker, "fleet", "token", "ls")).splitlines()
               if made["id"] in line)
    assert "revoked" in row and "live" not in row
    [after] = [t for t in json.loads(ok(cli(broker, "fleet", "token", "ls", "--json")))
               if t["id"] == made["id"]]
    assert after["revoked"] is not None
    with pytest.raises(Unauthenticated, match="revoked"):
        broker.store.enrol(secret, "gw-rv", "")
    assert broker.store.gateway("gw-rv") is None


@pytest.mark.parametrize("token_id", ["0123456789ab", "not-a-token"])
def test_revoking_an_unknown_enrolment_token_is_exit_1(broker: OperatorBroker,
                                                       token_id: str) -> None:
    """An id no live token has: exit 1, the reason and the id on stderr, nothing on stdout."""
    for extra in ([], ["--json"]):
        done = cli(broker, "fleet", "token", "revoke", token_id, *extra)
        assert done.returncode == 1 and done.stdout == ""
        assert "no live enrolment token" in done.stderr and token_id in done.stderr
        assert "Traceback" not in done.stderr


# fleet exec: exit codes that say how it went ---------------------------------------------

def answer_next(broker: OperatorBroker, device: str, ok_: bool) -> threading.Thread:
    """A gateway stand-in: takes the next command for `device` and acks it with `ok_`."""
    def serve() -> None:
        for _ in range(600):
            taken = broker.store.take_commands(device, 1)
            if taken:
                broker.store.ack_command(device, taken[0].id, ok_,
                                         json.dumps({"pong": True} if ok_ else
                                                    {"error": "unknown command 'reboot'"}))
                return
            threading.Event().wait(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("answers, code, shown", [
    pytest.param(True, 0, "ok", id="acked-ok"),
    pytest.param(False, 1, "failed", id="acked-failed"),
])
def test_exec_wait_exits_with_the_gateways_answer(broker: OperatorBroker, answers: bool,
                                                 code: int, shown: str) -> None:
    """With --wait, a command the gateway answered ok=False exits 1, ok=True exits 0."""
    device = f"gw-exec-{int(answers)}"
    broker.store.enrol(broker.store.create_enrol_token(site="plant-9", tags=[]), device, "")
    gateway = answer_next(broker, device, answers)
    done = cli(broker, "fleet", "exec", "ping", "--device", device, "--wait", "30")
    gateway.join(5)
    assert done.returncode == code, done.stderr
    assert shown in done.stdout and "waiting up to" in done.stderr
    again = answer_next(broker, device, answers)
    doc = json.loads(cli(broker, "fleet", "exec", "ping", "--device", device, "--wait", "30",
                         "--json").stdout)
    again.join(5)
    assert [(c["state"], c["ok"]) for c in doc] == [("acked", answers)]


def test_exec_wait_exits_1_while_still_pending(broker: OperatorBroker) -> None:
    """A command nobody picked up within --wait is reported pending, with exit 1."""
    done = cli(broker, "fleet", "exec", "ping", "--device", "gw-2", "--wait", "1", "--json")
    assert done.returncode == 1
    assert [c["state"] for c in json.loads(done.stdout)] == ["pending"]


def test_exec_without_wait_reports_the_command_sent(broker: OperatorBroker) -> None:
    """Without --wait the command is queued: exit 0, in both modes."""
    assert "pending" in ok(cli(broker, "fleet", "exec", "drain_outbox", "--device", "gw-2"))
    sent = json.loads(ok(cli(broker, "fleet", "exec", "set_log_level", "--device", "gw-2",
                             "--arg", "level=debug", "--json")))
    assert [c["device"] for c in sent] == ["gw-2"]


def test_unknown_command_is_refused_before_anything_is_sent(broker: OperatorBroker) -> None:
    """``fleet exec reboot`` exits 2 naming the known commands; the gateway gets nothing."""
    before = len(broker.store.commands("gw-1"))
    done = cli(broker, "fleet", "exec", "reboot", "--device", "gw-1", "--wait", "25")
    assert done.returncode == 2 and done.stdout == ""
    assert "unknown command 'reboot'" in done.stderr and "ping" in done.stderr
    assert len(broker.store.commands("gw-1")) == before


# errors, set-up and conventions ----------------------------------------------------------

def test_missing_admin_token_says_where_it_looked(tmp_path: Path) -> None:
    """No token anywhere: exit 2 with where it looked, nothing on stdout, no HTTP attempt."""
    done = run("fleet", "ls", "--url", "http://127.0.0.1:9", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and done.stdout == ""
    assert "no admin token found" in done.stderr
    assert "NANOGATE_ADMIN_TOKEN" in done.stderr and str(tmp_path / "admin_token") in done.stderr
    assert "Illegal header" not in done.stderr


def test_token_is_read_from_the_data_dir(broker: OperatorBroker, tmp_path: Path) -> None:
    """On the broker host the token file in the data dir is enough."""
    (tmp_path / "admin_token").write_text(BOOTSTRAP_TOKEN + "\n")
    assert "gw-1" in ok(run("fleet", "ls", "--url", broker.url, "--data-dir", str(tmp_path)))


def test_unreachable_broker_is_exit_1_on_stderr(tmp_path: Path) -> None:
    """A broker that does not answer: one line on stderr, exit 1, stdout empty even --json."""
    done = run("usage", "--json", "--url", "http://127.0.0.1:9", "--token", "nga_x")
    assert done.returncode == 1 and done.stdout == ""
    assert "cannot reach the broker at http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


def test_errors_from_the_broker_go_to_stderr(broker: OperatorBroker) -> None:
    """A 403 (too small a role) is exit 1 with the reason on stderr, even with --json."""
    done = run("keys", "ls", "--json", "--url", broker.url, "--token", broker.tokens["viewer"])
    assert done.returncode == 1 and done.stdout == ""
    assert "403" in done.stderr and "viewer" in done.stderr


@pytest.mark.parametrize("args", [
    pytest.param(["fleet", "ls", "--no-such-option"], id="unknown-option"),
    pytest.param(["fleet", "dance"], id="unknown-command"),
    pytest.param(["usage", "--since", "last tuesday"], id="bad-since"),
    pytest.param(["fleet", "exec", "ping"], id="no-target"),
])
def test_usage_errors_exit_2_on_stderr(broker: OperatorBroker, args: list[str]) -> None:
    """A wrong command line is exit 2, explained on stderr, nothing on stdout."""
    done = cli(broker, *args)
    assert done.returncode == 2 and done.stdout == "", done.stdout
    assert done.stderr.strip()


def test_version_and_help_are_clean() -> None:
    """``--version`` prints one line; help has no reST markup and no ``<bool>``."""
    version = run("--version")
    assert version.returncode == 0 and re.fullmatch(r"cloud-broker \S+\n", version.stdout)
    for args in (["--help"], ["fleet", "exec", "--help"], ["usage", "--help"],
                 ["fleet", "ls", "--help"], ["keys", "create", "--help"]):
        text = ok(run(*args))
        assert "``" not in text and "<bool>" not in text and ":class:" not in text, text
    assert "--since WHEN" in run("usage", "--help").stdout


def test_fleet_ls_reads_well_at_80_columns(broker: OperatorBroker) -> None:
    """No line past 80 columns and no heading cut short."""
    text = ok(cli(broker, "fleet", "ls", env={"COLUMNS": "80"}))
    assert max(len(line) for line in text.splitlines()) <= 80
    heading = text.splitlines()[0]
    for word in ("Gateway", "Site", "Status", "Seen", "Model", "Outbox", "Local"):
        assert word in heading, heading
    assert "…" not in text


def test_serve_on_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    """A broker whose port is in use prints "port N in use" and exits 1, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "broker.toml"
        config.write_text(f'[server]\ngrpc_listen = "127.0.0.1:{port}"\n'
                          f'http_listen = "127.0.0.1:0"\ndata_dir = "{tmp_path}"\n')
        done = run("serve", "--config", str(config))
    assert done.returncode == 1 and done.stdout == ""
    assert f"port {port} in use" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# db ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_db_status_and_upgrade(dialect: str, tmp_path: Path,
                               request: pytest.FixtureRequest) -> None:
    """`db status` shows a new database needs an upgrade; `db upgrade` brings it to head."""
    config = tmp_path / "broker.toml"
    store = (f'[store]\nkind = "postgres"\ndsn = "{request.getfixturevalue("pg_dsn")}"\n'
             if dialect == "postgres" else "")
    config.write_text(f'[server]\ndata_dir = "{tmp_path}"\n{store}')
    before = json.loads(ok(run("db", "status", "--config", str(config), "--json")))
    assert before["revision"] is None and before["current"] is False
    assert "needs an upgrade" in ok(run("db", "status", "--config", str(config)))
    upgraded = json.loads(ok(run("db", "upgrade", "--config", str(config), "--json")))
    assert upgraded == {"database": before["database"], "from": None, "to": before["head"]}
    after = json.loads(ok(run("db", "status", "--config", str(config), "--json")))
    assert after["revision"] == after["head"] and after["current"] is True


def test_db_status_unreachable_postgres_fails_clearly(tmp_path: Path) -> None:
    """A DSN no server answers exits 1 with what could not be opened, not a traceback."""
    config = tmp_path / "broker.toml"
    config.write_text('[store]\nkind = "postgres"\n'
                      'dsn = "postgresql://127.0.0.1:1/nope?connect_timeout=2"\n')
    done = run("db", "status", "--config", str(config))
    assert done.returncode == 1
    assert "cannot open the fleet database" in done.stderr and "Traceback" not in done.stderr


# serve: the start-up heap ---------------------------------------------------------------

def test_serve_freezes_the_start_up_heap_once_the_broker_serves() -> None:
    """Nothing is frozen while the broker starts; once it is ready, what start-up made is
    kept out of the collector's full collections (``gc.freeze``)."""
    import asyncio
    import gc
    from types import SimpleNamespace

    from cloud_broker.cli import _freeze_once_serving

    broker = SimpleNamespace(ready=asyncio.Event())

    async def serving() -> tuple[int, int]:
        freezing = asyncio.create_task(_freeze_once_serving(broker))  # type: ignore[arg-type]
        await asyncio.sleep(0)  # one turn: it waits for the broker
        starting = gc.get_freeze_count()
        broker.ready.set()
        await freezing
        return starting, gc.get_freeze_count()

    assert gc.get_freeze_count() == 0
    try:
        starting, served = asyncio.run(serving())
    finally:
        gc.unfreeze()
    assert starting == 0 < served
