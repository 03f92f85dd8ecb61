"""Theorem generators (random walks, theorem graphs). Filled by the generators issue; uses only the core."""
