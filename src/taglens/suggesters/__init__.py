"""Suggesters: every model taglens can train, load and evaluate, behind one protocol (see base.py)."""
