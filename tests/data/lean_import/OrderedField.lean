/-
Written for the importer's tests in Mathlib's style.
-/
module

public import Mathlib.Algebra.Order.Field.Defs

variable {α : Type*}

section LinearOrderedField

variable [Field α] [LinearOrder α] [IsStrictOrderedRing α] {a b c : α}

/-- a relational rewrite with a named hypothesis -/
theorem fx_div_le_iff₀ (hc : 0 < c) : a / c ≤ b ↔ a ≤ b * c := sorry

/-- hypotheses as arrows -/
lemma fx_div_pos_of : 0 < a → 0 < b → 0 < a / b := fun ha hb => div_pos ha hb

theorem fx_inv_mul_cancel (h : a ≠ 0) : a⁻¹ * a = 1 := inv_mul_cancel₀ h

-- an equation whose side is a variable the other lacks: an assertion
theorem fx_eq_of_sub_eq_zero' (h : a - b = 0) : a = b := sorry

end LinearOrderedField

section OrderedRing

variable [Ring α] [PartialOrder α] [IsOrderedRing α]

-- an ordered ring: ℤ and ℝ
theorem fx_sq_nonneg' {a : α} : 0 ≤ a * a := sorry

-- an instance binder named, and an `le_trans`-like assertion with a variable only in hypotheses
theorem fx_le_trans [inst : Preorder α] {x y z : α} (h₁ : x ≤ y) (h₂ : y ≤ z) : x ≤ z := sorry

end OrderedRing
