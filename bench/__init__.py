"""Listening-quality benchmark: wake misses and false alarms, command accuracy, resources."""
