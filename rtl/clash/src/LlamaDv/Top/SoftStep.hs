-- | Unit tops for M1's building blocks at HeadDim 8: one online-softmax step and the
-- combinational reference 'attendHead' over a 16-row register cache.
module LlamaDv.Top.SoftStep where

import Clash.Prelude
import LlamaDv.Attention
import LlamaDv.Numerics
import LlamaDv.Tables (invSqrtHd8)

-- | One streaming step (score given) followed by the optional final normalisation.
onlineSoftmaxStep
  :: Bool -> F -> F -> Vec 8 F -> F -> Vec 8 Act -> ExpS
  -> (F, F, Vec 8 F, Bool, Vec 8 F)
onlineSoftmaxStep first mx d acc s vs ev = (sMax st, sDen st, sAcc st, upd, softFinish st)
  where
    (st, upd) = softStep True first (Soft mx d acc) s vs ev
{-# ANN onlineSoftmaxStep (Synthesize
  { t_name = "online_softmax_step"
  , t_inputs = [ PortName "first", PortName "mx", PortName "den", PortName "acc"
               , PortName "score", PortName "v", PortName "ev" ]
  , t_output = PortProduct "" [ PortName "mx_o", PortName "den_o", PortName "acc_o"
                              , PortName "max_upd", PortName "out" ]
  }) #-}

-- | attendHead over rows 0..pos (rows beyond pos are ignored).
attendHeadHd8
  :: Unsigned 4 -> Vec 8 F
  -> Vec SeqLen (Vec 8 Act) -> Vec SeqLen ExpS -> Vec SeqLen (Vec 8 Act) -> Vec SeqLen ExpS
  -> Vec 8 F
attendHeadHd8 pos q km ke vm ve = attendHead invSqrtHd8 pos q (zip4 km ke vm ve)
{-# ANN attendHeadHd8 (Synthesize
  { t_name = "attend_head_hd8"
  , t_inputs = [ PortName "pos", PortName "q", PortName "k", PortName "ke"
               , PortName "v", PortName "ve" ]
  , t_output = PortName "out"
  }) #-}
