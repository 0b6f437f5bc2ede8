"""`python -m model_tools`: the training-side subcommands."""

import sys

from model_tools.cli import main

sys.exit(main())
