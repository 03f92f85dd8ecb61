"""Proof search (HTPS) and learned agents. Filled by the search issue; uses only the core."""
