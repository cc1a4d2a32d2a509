import sys

from sync_service.cli import main

sys.exit(main())
