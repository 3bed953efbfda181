"""Training tools, run from a source checkout with the ``train`` extra; not installed on gateways.

The wheel carries only ``edge_agent``, ``cloud_broker``, ``nanogate`` and ``simulations``; the
code and data that build the shipped models live here.
"""
