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
Ltac eqn_const :=
  repeat rewrite epow_IZR;
  unfold powerRZ; simpl pow;
  first [ lra | field; lra | (unfold Rdiv; field_simplify; lra) | nra ].
