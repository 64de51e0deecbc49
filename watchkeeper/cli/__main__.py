"""``python -m watchkeeper.cli``: the ``watchkeeper`` command."""

import sys

from watchkeeper.cli import main

sys.exit(main())
