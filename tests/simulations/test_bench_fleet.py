"""The fleet bench's command line and its fleet-scale path, run tiny against the echo server."""

from __future__ import annotations

import asyncio

import pytest

from simulations import bench
from simulations.bench_fleet_scale import ScalePlan, measure
from simulations.stack import EchoServer


@pytest.mark.parametrize("argv,options", [
    (("fleet",), {}),
    (("fleet", "--gateways", "10000"), {"gateways": 10000}),
    (("fleet", "--gateways", "500", "--store", "postgres"), {"gateways": 500,
                                                               "store": "postgres"}),
], ids=["default-stages", "10k", "postgres"])
def test_fleet_options_reach_the_bench(argv: tuple[str, ...], options: dict[str, object],
                                       ) -> None:
    """--gateways and --store become the fleet bench's keyword arguments; none: its stages."""
    args, parsed = bench.parse_args(list(argv))
    assert (args.name, parsed) == ("fleet", options)


@pytest.mark.parametrize("argv", [
    ("fleet", "--gateways", "0"), ("fleet", "--gateways", "many"),
    ("fleet", "--store", "mysql"), ("mqtt", "--gateways", "100")],
    ids=["zero", "not-a-number", "unknown-store", "other-bench"])
def test_bad_fleet_options_are_usage_errors(argv: tuple[str, ...],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A bad count, an unknown store or fleet options on another bench exit 2 with a message."""
    with pytest.raises(SystemExit) as exit_:
        bench.parse_args(list(argv))
    assert exit_.value.code == 2
    assert "error" in capsys.readouterr().err


def test_tiny_fleet_scale_run_against_the_echo_server() -> None:
    """Two swarm workers enrol 40 gateways over 4 connections, heartbeat, and all ack."""
    plan = ScalePlan(gateways=40, workers=2, connections=2, interval_s=0.5, warmup_s=0.5,
                     window_s=1.0, fanout_timeout_s=60)
    echo = EchoServer().start()
    try:
        figures = asyncio.run(measure(echo, f"127.0.0.1:{echo.port}", plan))
    finally:
        echo.stop()
    assert figures["heartbeat"]["failed_calls"] == {}
    assert figures["heartbeat"]["heartbeats_per_s"] > 0
    assert figures["command_fanout"]["gateways"] == 40
    assert figures["command_fanout"]["acked"] == 40
