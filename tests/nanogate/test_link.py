"""nanogate.link: the uplink topics and address rules both sides use."""

from __future__ import annotations

import pytest

from nanogate.link import UplinkTopics, is_loopback, next_port


@pytest.mark.parametrize(("topic", "call"), [
    ("root/gw-1/req/escalate", ("gw-1", "escalate")),
    ("root/enrol/req", ("", "enrol")),
    ("root/gw-1/res", None),
    ("root//req/escalate", None),
    ("root/gw-1/req/escalate/more", None),
], ids=["call", "enrol", "reply", "no-device", "too-deep"])
def test_a_request_topic_names_its_device_and_method(topic: str, call: object) -> None:
    """The broker reads device and method from what the gateway publishes; nothing else parses."""
    topics = UplinkTopics("root")
    assert topics.parse_request(topic) == call


def test_what_a_gateway_publishes_is_what_the_broker_reads() -> None:
    """A request topic built on the edge parses back to its device and method."""
    topics = UplinkTopics("a/b")
    assert topics.parse_request(topics.request("gw-7", "upload")) == ("gw-7", "upload")
    assert topics.parse_request(topics.enrol_request) == ("", "enrol")
    assert topics.enrol_nonce(topics.enrol_response("enrol-12")) == "enrol-12"


@pytest.mark.parametrize("reply", ["a/b/enrol/res/", "a/b/enrol/res/x/y", "a/b/enrol/res/+",
                                   "a/b/gw-1/res"])
def test_an_enrolment_reply_topic_must_name_one_connection(reply: str) -> None:
    """Wildcards, deeper levels or another subtree are not an enrolment reply topic."""
    assert UplinkTopics("a/b").enrol_nonce(reply) is None


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1:1", True), ("[::1]:1", True), ("localhost:1", True),
    ("0.0.0.0:1", False), ("10.0.0.2:1", False), ("broker.example:1", False),
])
def test_loopback_addresses(address: str, loopback: bool) -> None:
    """Only addresses on this machine count as loopback."""
    assert is_loopback(address) is loopback


@pytest.mark.parametrize(("address", "following"), [
    ("127.0.0.1:50051", "127.0.0.1:50052"), ("[::]:0", "[::]:0"), ("host:name", "host:name"),
])
def test_next_port(address: str, following: str) -> None:
    """The next port on the same host; port 0 stays any free port."""
    assert next_port(address) == following
