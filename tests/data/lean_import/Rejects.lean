/-
Written for the importer's tests in Mathlib's style: one statement per reason it is not imported.
-/
module

variable {α : Type*} [Field α] [LinearOrder α] [IsStrictOrderedRing α]

theorem fx_forall_inside (a : α) : 0 < a → ∀ b : α, a * b = b * a := sorry

theorem fx_exists (a : α) : ∃ b : α, a + b = 0 := sorry

theorem fx_smul (n : ℕ) (a : α) : n • a = n * a := sorry

theorem fx_sum (n : ℕ) (f : ℕ → α) : ∑ i ∈ Finset.range n, f i = 0 := sorry

theorem fx_unknown (x : ℝ) : Real.sinc x = x := sorry

theorem fx_cast (n : ℕ) : ((n : ℤ) : ℝ) = (n : ℝ) := sorry

theorem fx_and (a b : α) (h : 0 < a) : 0 < a ∧ a ≤ a + b * 0 := sorry

-- false: rejected by the numeric check
theorem fx_bogus (a b : ℝ) : a - b = b - a := sorry

-- a class we do not map
theorem fx_unknown_class {β : Type*} [TopologicalSpace β] [AddCommGroup β] (a : β) : a + 0 = a := sorry

-- bare numerals: Lean elaborates them in ℕ by default; we do not guess
theorem fx_numeral_only : 2 + 2 = 4 := by norm_num

-- names an export cannot use
private theorem fx_private (a : ℝ) : a + 0 = a := sorry

@[deprecated fx_bogus (since := "2026-01-01")]
theorem fx_deprecated (a : ℝ) : a * 1 = a := sorry

-- a cast written as an ascription: `(n : β)` with `n : ℕ` (even where β is ℕ)
theorem fx_cast_comm {β : Type*} [Semiring β] (n : ℕ) (x : β) : (n : β) * x = x * n := sorry

namespace Complex

open Real

-- inside another namespace, `cos` is that namespace's (Complex.cos), not Real.cos
theorem fx_cos_pi : cos π = -1 := sorry

end Complex

section Included

variable {p r : ℝ} (h : IsSquare p)
include h

-- `include h`: the lemma takes `h`, a hypothesis we cannot state
theorem fx_included : p ≠ 0 := sorry

end Included

section Units

variable {γ : Type*} [CommMonoid γ] [Subsingleton γˣ] {a b : γ}

-- a class of a type built from γ (its units): not in our table, however true for ℕ
theorem fx_units (h : a * b = 1) : b = 1 := sorry

end Units
