"""Calls and reports: none yet (issue #4)."""
