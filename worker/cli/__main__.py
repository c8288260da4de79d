"""``python -m worker.cli …``: the same as the ``newsradar`` console script."""

from worker.cli import main

main()
