"""`python -m harness.cli`: the same as `sms-harness`."""

import sys

from harness.cli import main

sys.exit(main())
