"""``python -m citykg`` is the ``citykg`` command."""

import sys

from .cli import main

sys.exit(main())
