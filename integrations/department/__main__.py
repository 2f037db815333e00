"""``python -m integrations.department``: receive this department's work orders until
stopped (SIGINT/SIGTERM); ``--help`` prints the settings and exits."""

import sys

from integrations.department.kit import main

sys.exit(main(sys.argv[1:]))
