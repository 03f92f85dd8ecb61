(* Definitions shared by every file the Equations exporter writes.

   Our expression language is total in the same way as Coq's Reals: x / 0 = 0 (Rinv_0),
   ln x = 0 for x <= 0, sqrt x = 0 for x < 0, asin/acos clamp outside [-1, 1].
   Two operators need a definition of their own:
   - [epow x y] is our [x ** y]: an integer exponent is an integer power (any base; a negative
     exponent divides, so 0 ** -1 = 0), any other exponent is [Rpower x y] = exp (y * ln x).
   - [easinh], [eacosh], [eatanh] are the inverse hyperbolic functions, by their logarithmic
     formulas (the standard library has none). *)
From Coq Require Export Reals Lra Lia ZArith NArith.

Open Scope R_scope.

Definition epow (x y : R) : R :=
  if Req_EM_T y (IZR (up y - 1)) then powerRZ x (up y - 1) else Rpower x y.

Lemma up_IZR : forall n : Z, up (IZR n) = (n + 1)%Z.
Proof.
  intro n. symmetry. apply up_tech.
  - apply Rle_refl.
  - rewrite plus_IZR. lra.
Qed.

Lemma epow_IZR : forall (x : R) (n : Z), epow x (IZR n) = powerRZ x n.
Proof.
  intros x n. unfold epow. rewrite up_IZR.
  replace (n + 1 - 1)%Z with n by ring.
  destruct (Req_EM_T (IZR n) (IZR n)) as [_ | H]; [reflexivity | now elim H].
Qed.

Lemma epow_not_int : forall x y : R, (forall n : Z, y <> IZR n) -> epow x y = Rpower x y.
Proof.
  intros x y H. unfold epow.
  destruct (Req_EM_T y (IZR (up y - 1))) as [E | _]; [now elim (H _ E) | reflexivity].
Qed.

Lemma epow_pos : forall x y : R, 0 < x -> epow x y = Rpower x y.
Proof.
  intros x y Hx. unfold epow.
  destruct (Req_EM_T y (IZR (up y - 1))) as [E | _]; [| reflexivity].
  rewrite E at 2. now rewrite powerRZ_Rpower.
Qed.

Definition easinh (x : R) : R := ln (x + sqrt (x * x + 1)).
Definition eacosh (x : R) : R := ln (x + sqrt (x * x - 1)).
Definition eatanh (x : R) : R := ln ((1 + x) / (1 - x)) / 2.

(* Closing a constant goal: integer powers with literal exponents are unfolded, then [lra]
   (linear arithmetic over the rationals) decides it, with [field] for quotients of constants. *)
Lemma epow_opp_IZR : forall (x : R) (n : Z), epow x (- IZR n) = powerRZ x (- n).
Proof. intros x n. rewrite <- opp_IZR. apply epow_IZR. Qed.

Ltac eqn_const :=
  repeat (rewrite epow_IZR || rewrite epow_opp_IZR);
  cbn [Z.opp] in *; unfold powerRZ; simpl pow;
  first [ lra | field; lra | (unfold Rdiv; field_simplify; lra) | nra ].

(* ---- Helpers for the rule lemmas of EquationsReal.v (appended; the definitions above are fixed) ---- *)

Lemma epow_exp : forall x y : R, 0 < x -> epow x y = exp (y * ln x).
Proof. intros x y Hx. rewrite epow_pos by exact Hx. reflexivity. Qed.

Lemma epow_gt0 : forall x y : R, 0 < x -> 0 < epow x y.
Proof. intros x y Hx. rewrite epow_exp by exact Hx. apply exp_pos. Qed.

Lemma eqn_exp_le : forall x y : R, x <= y -> exp x <= exp y.
Proof. intros x y [H | H]; [left; apply exp_increasing; exact H | right; subst; reflexivity]. Qed.

Lemma eqn_exp_le_inv : forall x y : R, exp x <= exp y -> x <= y.
Proof.
  intros x y H. destruct (Rle_or_lt x y) as [L | L]; [exact L |].
  apply exp_increasing in L. lra.
Qed.

Lemma eqn_ln_le : forall x y : R, 0 < x -> x <= y -> ln x <= ln y.
Proof. intros x y Hx [H | H]; [left; apply ln_increasing; assumption | right; subst; reflexivity]. Qed.

Lemma eqn_ln_le_inv : forall x y : R, 0 < x -> 0 < y -> ln x <= ln y -> x <= y.
Proof.
  intros x y Hx Hy H. destruct (Rle_or_lt x y) as [L | L]; [exact L |].
  apply ln_increasing in L; [lra | exact Hy].
Qed.

Lemma eqn_sin_le_pos : forall x : R, 0 <= x -> Rabs (sin x) <= x.
Proof.
  intros x Hx. destruct (Rle_or_lt 1 x) as [H1 | H1].
  - pose proof (SIN_bound x). apply Rabs_le. lra.
  - destruct (Req_dec x 0) as [E | E].
    + subst. rewrite sin_0, Rabs_R0. lra.
    + assert (Hp : 0 < x) by lra.
      pose proof (sin_lt_x x Hp).
      assert (0 <= sin x) by (apply sin_ge_0; [lra | pose proof PI2_3_2; lra]).
      rewrite Rabs_right; lra.
Qed.

Lemma eqn_abs_sin_le : forall x : R, Rabs (sin x) <= Rabs x.
Proof.
  intros x. destruct (Rle_or_lt 0 x) as [H | H].
  - rewrite (Rabs_right x) by lra. apply eqn_sin_le_pos. exact H.
  - replace (sin x) with (- sin (- x)) by (rewrite sin_neg; ring).
    rewrite Rabs_Ropp, (Rabs_left x) by lra. apply eqn_sin_le_pos. lra.
Qed.

Lemma eqn_tanh_atanh : forall x : R, -1 < x -> x < 1 -> tanh (eatanh x) = x.
Proof.
  intros x H1 H2. unfold tanh, sinh, cosh, eatanh.
  set (q := (1 + x) / (1 - x)).
  assert (Hq : 0 < q) by (unfold q; apply Rdiv_lt_0_compat; lra).
  rewrite exp_Ropp.
  set (e := exp (ln q / 2)).
  assert (He : 0 < e) by apply exp_pos.
  assert (Hee : e * e = q).
  { unfold e. rewrite <- exp_plus. replace (ln q / 2 + ln q / 2) with (ln q) by field.
    apply exp_ln. exact Hq. }
  replace ((e - / e) / 2 / ((e + / e) / 2)) with ((e * e - 1) / (e * e + 1)) by (field; nra).
  rewrite Hee. unfold q. field. lra.
Qed.

(* integer powers with literal exponents: [epow x 2] becomes [x * x] *)
Ltac eqn_pow_lit :=
  repeat (rewrite epow_IZR in * || rewrite epow_opp_IZR in * );
  cbn [Z.opp] in *; unfold powerRZ in *; simpl pow in *; repeat rewrite Rmult_1_r in *.

(* make every inverse [/ x] opaque, keeping [x * / x = 1] and its sign when they follow from the context *)
Ltac eqn_inv1 x :=
  (try (assert (x * / x = 1) by (apply Rinv_r; first [ assumption | lra | nra ])));
  (try (assert (0 < / x) by (apply Rinv_0_lt_compat; first [ assumption | lra | nra ])));
  (try (assert (/ x < 0) by (apply Rinv_lt_0_compat; first [ assumption | lra | nra ])));
  let i := fresh "i" in set (i := / x) in *; clearbody i.

Ltac eqn_inv :=
  unfold Rdiv in *;
  repeat match goal with
  | |- context [/ ?x] => eqn_inv1 x
  | H : context [/ ?x] |- _ => eqn_inv1 x
  end.

(* make every square root [sqrt x] opaque, keeping [0 <= sqrt x], and [sqrt x * sqrt x = x] / [0 < sqrt x]
   when they follow from the context *)
Ltac eqn_sqrt1 x :=
  pose proof (sqrt_pos x);
  (try (assert (sqrt x * sqrt x = x) by (apply sqrt_sqrt; first [ assumption | lra | nra ])));
  (try (assert (0 < sqrt x) by (apply sqrt_lt_R0; first [ assumption | lra | nra ])));
  let s := fresh "s" in set (s := sqrt x) in *; clearbody s.

Ltac eqn_sqrt :=
  repeat match goal with
  | |- context [sqrt ?x] => eqn_sqrt1 x
  | H : context [sqrt ?x] |- _ => eqn_sqrt1 x
  end.

(* The default proof of a rule lemma ([@default] in proofs_default.txt): unfold literal powers, then close
   by ring / field / linear or nonlinear arithmetic, directly, per side of an [<->], after splitting
   every [Rabs], or with inverses and square roots made opaque (keeping their defining facts). *)
Ltac eqn_close :=
  first [ reflexivity | assumption | (subst; reflexivity) | ring | (field; first [ assumption | lra | nra ])
        | lra | nra
        | (let E := fresh "E" in intro E; subst; match goal with H : _ <> _ |- _ => apply H; reflexivity end) ].

Ltac eqn_auto :=
  intros; eqn_pow_lit;
  first [ eqn_close
        | (split; intros; eqn_close)
        | (split_Rabs; eqn_close)
        | (split; intros; split_Rabs; eqn_close)
        | (eqn_inv; first [ eqn_close | (split; intros; eqn_close) ])
        | (eqn_sqrt; eqn_inv; first [ eqn_close | (split; intros; eqn_close) ]) ].
