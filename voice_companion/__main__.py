"""Entry point for `python -m voice_companion`."""

from voice_companion.cli import main

raise SystemExit(main())
