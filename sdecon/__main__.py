"""`python -m sdecon`: the same as the `sdecon` command."""
import sys

from .cli import main

sys.exit(main())
