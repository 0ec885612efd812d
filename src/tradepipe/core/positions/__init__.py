"""Stage 7: positions, their accounting, and exit rules."""
