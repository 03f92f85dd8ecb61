/-
Copyright (c) 2026 Equations contributors. Written for the importer's tests in Mathlib's style.
-/
module

public import Mathlib.Algebra.Ring.Defs

/-!
# Commutative semirings and rings (fixture)
-/

@[expose] public section

variable {R : Type*}

section CommSemiring

variable [CommSemiring R] {a b c : R}

-- an explicit binder list
theorem fx_mul_comm (a b : R) : a * b = b * a := CommSemiring.mul_comm a b

/-- implicit variables from the section, statement across lines -/
@[simp]
theorem fx_add_mul_self :
    (a + b) * c =
      a * c + b * c := add_mul a b c

lemma fx_two_mul (x : R) : 2 * x = x + x := two_mul x

/-- a leading `∀` is the same as binders -/
theorem fx_add_comm : ∀ x y : R, x + y = y + x := add_comm

theorem fx_sq_eq (x : R) : x ^ 2 = x * x := sq x

end CommSemiring

section CommRing

variable [CommRing R]

-- a ring lemma: ℤ and ℝ only; `⦃⦄` strict-implicit binders
theorem fx_neg_mul ⦃a b : R⦄ : -a * b = -(a * b) := neg_mul a b

-- true in rings, false under ℕ's truncated subtraction, which a `Sub` semiring would allow
theorem fx_sub_add_cancel (a b : R) : a - b + b = a := sub_add_cancel a b

end CommRing

section Truncated

variable [CommSemiring R] [Sub R] [OrderedSub R]

-- the class admits ℕ; under ℕ's truncated `-` the statement is false (2 - 3 + 3 ≠ 2), so only the
-- numeric check decides: kept for none of ℕ (unsound), and kept for ℤ and ℝ
theorem fx_sub_add_truncated (a b : R) : a - b + b = a := sorry

end Truncated

section Monoid

variable {M : Type*} [CommMonoid M]

-- `to_additive` with the name guessed word by word (`fx_mul_one'` -> `fx_add_zero'`, used below)
@[to_additive (attr := simp)]
theorem fx_mul_one' (a : M) : a * 1 = a := sorry

-- an explicit additive name
@[to_additive fx_add_right_comm "doc"]
theorem fx_mul_right_comm' (a b c : M) : a * b * c = a * c * b := sorry

-- guessed `fx_add_left_comm''`, used nowhere: not kept
@[to_additive]
theorem fx_mul_left_comm'' (a b c : M) : a * (b * c) = b * (a * c) := sorry

example (a : ℕ) : a + 0 = a := fx_add_zero' a

end Monoid

section Group

variable {G : Type*} [CommGroup G]

-- a multiplicative group (none of ours); its additive twin holds in ℤ and ℝ
@[to_additive fx_neg_add_cancel']
theorem fx_inv_mul_cancel' (a : G) : a⁻¹ * a = 1 := sorry

end Group
