"""Redaction on the gateway: detectors for personal data, placeholders for configured names,
restoring an answer, and ``edge-agent redact`` as an operator runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from edge_agent.config import PrivacySection
from edge_agent.pii import find, iban_ok, luhn_ok
from edge_agent.redact import Redaction, Redactor, restore, restore_response
from edge_agent.registry import Device, Registry
from nanogate.v1 import edge_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, kind, found", [
    pytest.param("write to anna.weber@example.com today", "email", "anna.weber@example.com",
                 id="email"),
    pytest.param("call +49 30 1234567 now", "phone", "+49 30 1234567", id="phone-intl"),
    pytest.param("call 0049 30 1234567 now", "phone", "0049 30 1234567", id="phone-00"),
    pytest.param("mobile 0171 2345678", "phone", "0171 2345678", id="phone-trunk"),
    pytest.param("ring (555) 123-4567", "phone", "(555) 123-4567", id="phone-groups"),
    pytest.param("pay DE89 3704 0044 0532 0130 00 now", "iban", "DE89 3704 0044 0532 0130 00",
                 id="iban-spaced"),
    pytest.param("iban GB29NWBK60161331926819", "iban", "GB29NWBK60161331926819",
                 id="iban-compact"),
    pytest.param("card 4111 1111 1111 1111 ok", "card", "4111 1111 1111 1111", id="card"),
    pytest.param("card 5500-0000-0000-0004", "card", "5500-0000-0000-0004", id="card-dashes"),
    pytest.param("host 192.168.1.20 is down", "ip", "192.168.1.20", id="ipv4"),
    pytest.param("host fe80::1ff:fe23:4567:890a is down", "ip", "fe80::1ff:fe23:4567:890a",
                 id="ipv6"),
    pytest.param("mac aa:bb:cc:dd:ee:ff seen", "mac", "aa:bb:cc:dd:ee:ff", id="mac-colons"),
    pytest.param("mac AA-BB-CC-DD-EE-0F seen", "mac", "AA-BB-CC-DD-EE-0F", id="mac-dashes"),
    pytest.param("ask Dr. Anna Weber", "person", "Dr. Anna Weber", id="person-title"),
    pytest.param("signed (Dr. Weber, ops)", "person", "Dr. Weber", id="person-in-brackets"),
    pytest.param("my name is Jonas and", "person", "my name is Jonas", id="person-my-name"),
])
def test_detector_finds_each_kind(text: str, kind: str, found: str) -> None:
    """Each kind of personal data is found, whole, and called what it is."""
    [(start, end, got)] = find(text)
    assert (got, text[start:end]) == (kind, found)


@pytest.mark.parametrize("text", [
    pytest.param("firmware 1.2.3 on pump-2", id="version"),
    pytest.param("firmware 10.0.19045.3693", id="long-version"),
    pytest.param("since 2026-11-29 at 12:30:45", id="iso-date-time"),
    pytest.param("since 29.11.2026", id="dotted-date"),
    pytest.param("since 11/29/2026", id="us-date"),
    pytest.param("reading 21.45 Cel at 1700000000", id="reading-and-epoch"),
    pytest.param("serial 12345678 on the pump", id="serial"),
    pytest.param("card 4111 1111 1111 1112", id="card-failing-luhn"),
    pytest.param("iban DE89 3704 0044 0532 0130 01", id="iban-failing-mod97"),
    pytest.param("ip 999.1.1.1 is no address", id="not-an-ipv4"),
    pytest.param("set zone 3 to 50 % for 15 min", id="command"),
    pytest.param("the Main pump in Line 2", id="capitalised-words"),
])
def test_detector_leaves_look_alikes(text: str) -> None:
    """Versions, dates, readings, serials and numbers failing their check are no personal data."""
    assert find(text) == []


def test_checksums() -> None:
    """Luhn and mod-97 accept real numbers and refuse a changed digit."""
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111121")
    assert iban_ok("NL91ABNA0417164300") and not iban_ok("NL91ABNA0417164301")


def _redactor(**policy: object) -> Redactor:
    registry = Registry()
    registry.add(Device(id="pump-2", role="actuator", kind="pump", area="line 2",
                        name="Main pump"))
    registry.add(Device(id="t-104", role="sensor", kind="temperature", area="zone 3"))
    return Redactor(PrivacySection.model_validate(policy), registry, "acme-plant")


@pytest.mark.parametrize("text, sent", [
    pytest.param("is pump-2 running", "is <DEVICE_1> running", id="device-id"),
    pytest.param("is PUMP 2 running", "is <DEVICE_1> running", id="device-id-spelled"),
    pytest.param("is the main pump running", "is the <DEVICE_1> running", id="device-name"),
    pytest.param("why is zone 3 warm at acme-plant", "why is <AREA_1> warm at <SITE>",
                 id="area-and-site"),
    pytest.param("zone 30 and pump-2b", "zone 30 and pump-2b", id="longer-words-kept"),
    pytest.param("pump-2 and pump-2 again", "<DEVICE_1> and <DEVICE_1> again",
                 id="stable-within-request"),
])
def test_configured_names_become_placeholders(text: str, sent: str) -> None:
    """Device ids and names, areas and the site become placeholders; other words stay."""
    assert _redactor().text(text, Redaction()) == sent


def test_payload_keeps_mapping_and_hides_context() -> None:
    """Context readings lose device and area, ts is bucketed, alerts are redacted."""
    payload = {"text": "why is zone 3 warm? mail ops@acme.de",
               "context": [{"device_id": "t-104", "kind": "temperature", "area": "zone 3",
                            "value": "21.4", "unit": "Cel", "ts": 1700000123.4}],
               "alerts": ["t-104 in zone 3 is above 30"]}
    out = _redactor(drop_fields=["unit"]).payload(payload)
    assert out["text"] == "why is <AREA_1> warm? mail <EMAIL_1>"
    assert out["context"] == [{"device_id": "<DEVICE_1>", "kind": "temperature",
                               "area": "<AREA_1>", "value": "21.4", "unit": "",
                               "ts": 1700000100.0}]
    assert out["alerts"] == ["<DEVICE_1> in <AREA_1> is above 30"]
    assert out["redaction"] == {"<AREA_1>": "zone 3", "<EMAIL_1>": "ops@acme.de",
                                "<DEVICE_1>": "t-104"}


def test_placeholders_typed_by_the_requester_are_defused() -> None:
    """A requester's "<DEVICE_1>" is sent with angle quotes, so no answer maps it to a device."""
    redaction = Redaction()
    sent = _redactor().text("turn on <DEVICE_1> and pump-2", redaction)
    assert sent == "turn on \u2039DEVICE_1\u203a and <DEVICE_1>"
    assert redaction.mapping == {"<DEVICE_1>": "pump-2"}


def test_disabled_policy_sends_as_is() -> None:
    """With enabled = false nothing is replaced."""
    assert _redactor(enabled=False).text("pump-2 ops@acme.de", Redaction()) == \
        "pump-2 ops@acme.de"


def test_restore_puts_names_back_and_flags_invented() -> None:
    """Known placeholders are restored; one never sent stays and is reported."""
    done = restore("Check <DEVICE_1> and <DEVICE_9> in <AREA_1>.",
                   {"<DEVICE_1>": "pump-2", "<AREA_1>": "line 2"})
    assert done.text == "Check pump-2 and <DEVICE_9> in line 2."
    assert done.unknown == ("<DEVICE_9>",)


def test_restore_leaves_other_angle_brackets_alone() -> None:
    """Markup or a comparison in an answer is no placeholder and is not flagged."""
    done = restore("Use <b>care</b> when <X> < 3 and <DEVICE> is off.", {})
    assert done.unknown == () and done.text.startswith("Use <b>care</b>")


def test_restore_response_maps_actions_never_invented_ones() -> None:
    """A proposed action on a sent placeholder gets the real id; an invented one keeps it."""
    response = pb.EscalateResponse(answer="Switch <DEVICE_1> off.", actions=[
        pb.Action(device_id="<DEVICE_1>", command="off"),
        pb.Action(device_id="<DEVICE_9>", command="on")])
    out, invented = restore_response(response, {"<DEVICE_1>": "pump-2"})
    assert [a.device_id for a in out.actions] == ["pump-2", "<DEVICE_9>"]
    assert out.answer == "Switch pump-2 off." and invented == ["<DEVICE_9>"]


def test_cli_shows_what_would_be_sent(tmp_path: Path) -> None:
    """``edge-agent redact`` prints the sent text and the kept mapping, readable or JSON."""
    config = tmp_path / "edge.toml"
    config.write_text('[gateway]\nsite = "acme-plant"\n[[actuators]]\nid = "pump-2"\n'
                      'area = "line 2"\n')
    args = [sys.executable, "-m", "edge_agent", "redact", "--config", str(config),
            "is pump-2 in line 2 ok? call 0171 2345678"]
    run = {"capture_output": True, "text": True, "timeout": 60, "cwd": tempfile.gettempdir(),
           "env": {"PYTHONPATH": str(ROOT)}}
    human = subprocess.run(args, **run)  # type: ignore[call-overload]
    assert human.returncode == 0
    assert "sent: is <DEVICE_1> in <AREA_1> ok? call <PHONE_1>" in human.stdout
    doc = json.loads(subprocess.run([*args, "--json"], **run).stdout)  # type: ignore[call-overload]
    assert doc["sent"] == "is <DEVICE_1> in <AREA_1> ok? call <PHONE_1>"
    assert doc["kept"]["<PHONE_1>"] == "0171 2345678"
