"""`python -m model_tools`: the training-side subcommands."""

import sys

from .cli import main

sys.exit(main())
