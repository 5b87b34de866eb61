"""`python -m sdecon.report ...`: the `report` subcommand on its own."""
import sys

from .command import main

sys.exit(main())
