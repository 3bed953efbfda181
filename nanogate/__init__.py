"""Code both sides of the nanogate link share: the generated edge-cloud protocol (``nanogate.v1``).

The modules in ``nanogate/v1`` are generated from ``protos/nanogate/v1/*.proto`` by
``make protos``; never edit them by hand. ``make test`` checks that they are current.
"""
