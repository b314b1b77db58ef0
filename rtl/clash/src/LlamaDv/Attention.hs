-- | Attention over one head's KV cache with the online softmax of docs/numerics.md:
-- the per-row step ('softStep'), the combinational reference ('attendHead') and the
-- sequential kernel over a block-RAM cache ('attendSequential', milestone M1).
module LlamaDv.Attention
  ( Soft (..), KvRow, SeqLen
  , score, vterm, softStep, softFinish, softFinishWith, attendHead, attendSequential
  ) where

import Clash.Prelude
import LlamaDv.Numerics

-- | Cache rows per head.
type SeqLen = 16

-- | Online-softmax state: running max, denominator, weighted value sum.
data Soft hd = Soft { sMax :: F, sDen :: F, sAcc :: Vec hd F }
  deriving (Generic, NFDataX, Show, Eq)

-- | One cache row: K mantissas and exponent, V mantissas and exponent.
type KvRow hd = (Vec hd Act, ExpS, Vec hd Act, ExpS)

-- | Scaled score s_t of a quantised query against one K row.
score :: (KnownNat hd, 1 <= hd) => Wide -> Vec hd Act -> ExpS -> Vec hd Act -> ExpS -> F
score invSqrtHd qm qe km ke = sat32 (rshr (resize sF * invSqrtHd) 20)
  where
    sF = shsat (resize (dotAct qm km)) (negate (resize qe + resize ke + 20))

-- | An Act value times an F weight, as an F raw.
vterm :: Act -> ExpS -> F -> F
vterm v ev w = shsat (resize v * resize w) (negate (resize ev))

-- | One streaming step. @rescale = False@ is a deliberately broken variant (the value
-- accumulator is not rescaled when the running max moves) used by negative tests.
-- The Bool result says the running max strictly increased.
softStep :: KnownNat hd => Bool -> Bool -> Soft hd -> F -> Vec hd Act -> ExpS -> (Soft hd, Bool)
softStep rescale first st s vs ev
  | first = (Soft s (resize one) (map (\v -> vterm v ev (resize one)) vs), False)
  | otherwise = (Soft mx' d' acc', s > sMax st)
  where
    mx' = max (sMax st) s
    a = expF (sat32 (resize (sMax st) - resize mx'))
    b = expF (sat32 (resize s - resize mx'))
    d' = sat32 (rshr (resize (sDen st) * resize a) 20 + resize b)
    scaleAcc x = if rescale then rshr (resize x * resize a) 20 else resize x
    acc' = zipWith (\x v -> sat32 (scaleAcc x + resize (vterm v ev b))) (sAcc st) vs

-- | Normalise the accumulated values by the denominator.
softFinish :: KnownNat hd => Soft hd -> Vec hd F
softFinish st = map (\x -> sat32 (rshr (resize x * r) 20)) (sAcc st)
  where
    r = recipF (sDen st)

-- | Combinational reference: attention of @q@ over rows 0..pos of a register cache.
-- The 16 steps are spelled out: a 'foldl' over the rows becomes a self-referential
-- vector in Clash's Verilog that Icarus evaluates extremely slowly.
attendHead :: forall hd . (KnownNat hd, 1 <= hd) => Wide -> Unsigned 4 -> Vec hd F -> Vec SeqLen (KvRow hd) -> Vec hd F
attendHead invSqrtHd pos q rows = softFinish s15
  where
    (qm, qe) = quantizeV q
    step :: Unsigned 4 -> Soft hd -> Soft hd
    step t st
      | t > pos = st
      | otherwise = fst (softStep True (t == 0) st (score invSqrtHd qm qe km ke) vm ev)
      where
        (km, ke, vm, ev) = rows !! t
    s0 = step 0 (Soft 0 0 (repeat 0))
    s1 = step 1 s0
    s2 = step 2 s1
    s3 = step 3 s2
    s4 = step 4 s3
    s5 = step 5 s4
    s6 = step 6 s5
    s7 = step 7 s6
    s8 = step 8 s7
    s9 = step 9 s8
    s10 = step 10 s9
    s11 = step 11 s10
    s12 = step 12 s11
    s13 = step 13 s12
    s14 = step 14 s13
    s15 = step 15 s14

quantizeV :: forall hd . (KnownNat hd, 1 <= hd) => Vec hd F -> (Vec hd Act, ExpS)
quantizeV = leToPlus @1 @hd quantize

data Phase = Idle | Run | Fin | Hold
  deriving (Generic, NFDataX, Show, Eq)

data SeqState hd = SeqState
  { phase :: Phase
  , qmR :: Vec hd Act
  , qeR :: ExpS
  , lastT :: Unsigned 4
  , curT :: Unsigned 4
  , soft :: Soft hd
  , outR :: Vec hd F
  , nUpd :: Unsigned 5
  , cyc :: Unsigned 16
  } deriving (Generic, NFDataX, Show)

-- | Sequential kernel: K/V rows live in one block RAM (written through @wr@); a
-- query is accepted with valid/ready, rows 0..pos are streamed one per cycle through
-- 'softStep', and the result is held with valid/ready until taken.
-- Outputs: (in_ready, out_valid, out, max-update count, cycles, RAM read address).
attendSequential
  :: forall dom hd . (HiddenClockResetEnable dom, KnownNat hd, 1 <= hd)
  => Bool -> Wide
  -> Signal dom (Maybe (Unsigned 4, KvRow hd))
  -> Signal dom Bool -> Signal dom (Unsigned 4) -> Signal dom (Vec hd F)
  -> Signal dom Bool
  -> ( Signal dom Bool, Signal dom Bool, Signal dom (Vec hd F)
     , Signal dom (Unsigned 5), Signal dom (Unsigned 16), Signal dom (Unsigned 4) )
attendSequential rescale invSqrtHd wr inValid pos q outReady =
  (inReady, outValid, outV, upd, cycles, rdAddr)
  where
    row = blockRam (replicate (SNat @SeqLen) (repeat 0, 0, repeat 0, 0)) rdAddr wr
    (inReady, outValid, outV, upd, cycles, rdAddr) =
      unbundle (mealy trans st0 (bundle (inValid, pos, q, outReady, row)))
    st0 = SeqState Idle (repeat 0) 0 0 0 (Soft 0 0 (repeat 0)) (repeat 0) 0 0
    trans st (iv, p, qv, ordy, (km, ke, vm, ev)) = (st', out)
      where
        out = (phase st == Idle, phase st == Hold, outR st, nUpd st, cyc st, addr)
        (qm, qe) = quantizeV qv
        (soft', upd') = softStep rescale (curT st == 0) (soft st)
                          (score invSqrtHd (qmR st) (qeR st) km ke) vm ev
        (st', addr) = case phase st of
          Idle | iv -> (st { phase = Run, qmR = qm, qeR = qe, lastT = p, curT = 0
                           , nUpd = 0, cyc = 1 }, 0)
               | otherwise -> (st, 0)
          Run ->
            let st1 = st { soft = soft', nUpd = nUpd st + (if upd' then 1 else 0)
                         , cyc = cyc st + 1 }
            in if curT st == lastT st
                 then (st1 { phase = Fin }, curT st)
                 else (st1 { curT = curT st + 1 }, curT st + 1)
          Fin -> (st { phase = Hold, outR = softFinish (soft st), cyc = cyc st + 1 }, curT st)
          Hold | ordy -> (st { phase = Idle }, 0)
               | otherwise -> (st, 0)

-- | 'softFinish' with the reciprocal floor(2^40 / denominator) given: the decoder forms
-- it on its sequential reciprocal unit ("LlamaDv.Numerics".'Recip').
softFinishWith :: KnownNat hd => Wide -> Soft hd -> Vec hd F
softFinishWith r st = map (\x -> sat32 (rshr (resize x * r) 20)) (sAcc st)
