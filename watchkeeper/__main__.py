"""``python -m watchkeeper``: the ``watchkeeper`` command."""

import sys

from watchkeeper.cli import main

sys.exit(main())
