"""`python -m model_tools`: the training-side subcommands."""

import sys

from bridge.cli.main import main

sys.exit(main())
