/-
Written for the importer's tests in Mathlib's style.
-/
module

namespace Nat

protected theorem fx_sub_add_cancel {n m : ℕ} (h : m ≤ n) : n - m + m = n := sorry

theorem fx_gcd_comm (m n : ℕ) : gcd m n = gcd n m := sorry

theorem fx_mod_mod_self {n m : ℕ} (h : m ≠ 0) : n % m % m = n % m := sorry

theorem fx_dvd_mul_right (a b : ℕ) : a ∣ a * b := sorry

theorem fx_div_mul_le (a b : ℕ) : a / b * b ≤ a := sorry

@[simp] theorem fx_lcm_self (m : ℕ) : m.lcm m = m := sorry

end Nat

namespace Int

theorem fx_emod_emod (a b : ℤ) : a % b % b = a % b := sorry

theorem fx_neg_neg (a : ℤ) : - -a = a := sorry

end Int
