"""The telemetry bench's command line: who publishes, at what rate."""

from __future__ import annotations

import pytest

from simulations import bench


@pytest.mark.parametrize("argv,options", [
    (("telemetry",), {}),
    (("telemetry", "--publishers", "paho"), {"publishers": "paho"}),
    (("telemetry", "--rate", "30000"), {"rate": 30000.0}),
    (("telemetry", "--system-broker"), {"system_broker": True}),
], ids=["defaults", "paho", "paced", "system-broker"])
def test_telemetry_options_reach_the_bench(argv: tuple[str, ...],
                                           options: dict[str, object]) -> None:
    """--publishers and --rate become the telemetry bench's keyword arguments."""
    args, parsed = bench.parse_args(list(argv))
    assert (args.name, parsed) == ("telemetry", options)


@pytest.mark.parametrize("argv", [
    ("telemetry", "--publishers", "python"), ("mqtt", "--rate", "100"),
    ("fleet", "--publishers", "paho")], ids=["unknown-publisher", "rate-elsewhere",
                                              "publishers-elsewhere"])
def test_bad_telemetry_options_are_usage_errors(argv: tuple[str, ...],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown publisher kind, or telemetry options on another bench, exit 2."""
    with pytest.raises(SystemExit) as exit_:
        bench.parse_args(list(argv))
    assert exit_.value.code == 2
    assert "error" in capsys.readouterr().err
