"""Entry point for `python -m voice_companion.bench`."""

from voice_companion.bench.cli import main

raise SystemExit(main())
