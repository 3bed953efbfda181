"""``python -m cloud_broker``: the same as the ``cloud-broker`` command."""

from cloud_broker.cli import main

main()
