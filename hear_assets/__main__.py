"""``python -m hear_assets`` runs the ``hear-assets`` command."""

import sys

from hear_assets.cli import main

sys.exit(main())
