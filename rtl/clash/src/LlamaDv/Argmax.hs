-- | Greedy decoding as a row scan over the vocabulary ROM (milestone M3): one
-- classifier row per cycle gives one logit, and the running best is replaced only on
-- a strictly greater value (lowest index wins ties, docs/numerics.md).
module LlamaDv.Argmax (argmaxScan, rowLogit) where

import Clash.Prelude
import LlamaDv.Numerics

-- | One F logit: int8 row times the Act input, scales fused by one shift.
rowLogit :: (KnownNat n, 1 <= n) => Vec n Act -> ExpS -> Vec n Act -> ExpS -> F
rowLogit wm we xm xe = shsat (resize (dotAct wm xm)) (negate (resize we + resize xe + 20))

data Phase = Idle | Run | Hold
  deriving (Generic, NFDataX, Show, Eq)

data ScanState v n = ScanState
  { phase :: Phase
  , xmR :: Vec n Act
  , xeR :: ExpS
  , row :: Index v
  , best :: F
  , bestIx :: Index v
  , cyc :: Unsigned 16
  } deriving (Generic, NFDataX, Show)

-- | @rows@ reads the ROM (one-cycle latency) at the returned address. @strict = False@
-- is a deliberately broken variant (ties go to the highest index) for negative tests.
-- Outputs: (in_ready, out_valid, token, best logit, cycles, ROM address).
argmaxScan
  :: forall dom v n . (HiddenClockResetEnable dom, KnownNat v, 1 <= v, KnownNat n, 1 <= n)
  => Bool
  -> (Signal dom (Index v) -> Signal dom (Vec n Act, ExpS))
  -> Signal dom Bool -> Signal dom (Vec n Act) -> Signal dom ExpS -> Signal dom Bool
  -> ( Signal dom Bool, Signal dom Bool, Signal dom (Index v), Signal dom F
     , Signal dom (Unsigned 16), Signal dom (Index v) )
argmaxScan strict rom inValid xm xe outReady = (inReady, outValid, tok, bestL, cycles, addr)
  where
    romOut = rom addr
    (inReady, outValid, tok, bestL, cycles, addr) =
      unbundle (mealy trans st0 (bundle (inValid, xm, xe, outReady, romOut)))
    st0 = ScanState Idle (repeat 0) 0 0 0 0 0
    trans st (iv, x, e, ordy, (wm, we)) = (st', out)
      where
        out = (phase st == Idle, phase st == Hold, bestIx st, best st, cyc st, a)
        l = rowLogit wm we (xmR st) (xeR st)
        better = if strict then l > best st else l >= best st
        (st', a) = case phase st of
          Idle | iv -> (st { phase = Run, xmR = x, xeR = e, row = 0, cyc = 1 }, 0)
               | otherwise -> (st, 0)
          Run ->
            let st1 = if row st == 0 || better then st { best = l, bestIx = row st } else st
                st2 = st1 { cyc = cyc st + 1 }
            in if row st == maxBound
                 then (st2 { phase = Hold }, row st)
                 else (st2 { row = row st + 1 }, row st + 1)
          Hold | ordy -> (st { phase = Idle }, 0)
               | otherwise -> (st, 0)
