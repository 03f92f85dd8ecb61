"""Exporters of theorems and proofs to Lean 4 and Coq. Filled by the exporters issue; uses only the core."""
