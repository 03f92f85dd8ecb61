/-
Written for the importer's tests in Mathlib's style.
-/
module

public import Mathlib.Analysis.SpecialFunctions.Log.Basic

noncomputable section

namespace Real

variable {x y : ℝ}

-- `exp`/`log` are `Real.exp`/`Real.log` inside `namespace Real`
theorem fx_exp_log (hx : 0 < x) : exp (log x) = x := sorry

theorem fx_log_mul (hx : x ≠ 0) (hy : y ≠ 0) : log (x * y) = log x + log y := sorry

theorem fx_sqrt_sq (h : 0 ≤ x) : √(x ^ 2) = x := sorry

theorem fx_abs_sq (x : ℝ) : |x| ^ 2 = x ^ 2 := sorry

-- a real power (`Real.rpow`): flagged rpow in the table
theorem fx_rpow_two (x : ℝ) : x ^ (2 : ℝ) = x ^ (1 : ℝ) * x ^ (1 : ℝ) := sorry

theorem fx_cos_pi_div_two : cos (π / 2) = 0 := sorry

theorem fx_sin_sq_add_cos_sq (x : ℝ) : sin x ^ 2 + cos x ^ 2 = 1 := sorry

end Real

open Real in
theorem fx_rexp_pos (x : ℝ) : 0 < rexp x := Real.exp_pos x

theorem fx_exp_zero_root : Real.exp 0 = 1 := Real.exp_zero

theorem _root_.fx_sqrt_mul_self (a : ℝ) (ha : 0 ≤ a) :
    Real.sqrt a * Real.sqrt a = a := sorry
