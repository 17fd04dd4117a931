"""Referrals: none yet (issue #5)."""
