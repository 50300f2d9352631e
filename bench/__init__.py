"""Benchmarks, kept out of the runtime wheel: `python -m bench` (listening quality), `python -m bench.soak` and
the other scripts, and the scripted audio (scenes, a private sound server, couples) the tests use too."""
