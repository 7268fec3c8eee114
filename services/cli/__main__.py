"""`python -m services.cli` is the `synthmesh` command."""

import sys

from services.cli.main import main

sys.exit(main())
