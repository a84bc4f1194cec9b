"""Amounts for tests: the clients' own (clients/money.py), so that a test and the demo read
"12.34" alike."""

from __future__ import annotations

from clients.money import cnh, money, tokens

__all__ = ["cnh", "money", "tokens"]
