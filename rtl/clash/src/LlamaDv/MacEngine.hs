-- | The shared MAC engine (milestone M2): y = W x for any matrix stored row-major in
-- the weight ROM, one int8 x int16 product per cycle through exactly one multiplier,
-- row exponents from a second ROM, scales fused by one shift per row.
module LlamaDv.MacEngine (MaxCols, macMatvec) where

import Clash.Prelude
import LlamaDv.Numerics

-- | Longest row / most rows one matvec can have (the FFN hidden size of SMALL).
type MaxCols = 128

data Phase = Idle | Run | Drain | Hold
  deriving (Generic, NFDataX, Show, Eq)

data MacState = MacState
  { phase :: Phase
  , xmR :: Vec MaxCols Act
  , xeR :: ExpS
  , nRows :: Unsigned 8
  , nCols :: Unsigned 8
  , wAddr :: Unsigned 16
  , eAddr :: Unsigned 10
  , r :: Unsigned 8
  , c :: Unsigned 8
  , s1Valid :: Bool
  , s1Row :: Unsigned 8
  , s1Col :: Unsigned 8
  , s1Last :: Bool
  , acc :: Signed 32
  , yR :: Vec MaxCols F
  , cyc :: Unsigned 32
  } deriving (Generic, NFDataX, Show)

-- | @wRom@ / @eRom@ are one-cycle-latency ROMs (weight mantissas, row exponents).
-- Outputs: (in_ready, out_valid, y, cycles), where cycles counts from the accepting
-- clock edge to the edge that takes the result (rows x cols + 3 with out_ready high).
macMatvec
  :: HiddenClockResetEnable dom
  => (Signal dom (Unsigned 16) -> Signal dom Act)
  -> (Signal dom (Unsigned 10) -> Signal dom ExpS)
  -> Signal dom Bool -> Signal dom (Unsigned 16) -> Signal dom (Unsigned 10)
  -> Signal dom (Unsigned 8) -> Signal dom (Unsigned 8)
  -> Signal dom (Vec MaxCols Act) -> Signal dom ExpS -> Signal dom Bool
  -> (Signal dom Bool, Signal dom Bool, Signal dom (Vec MaxCols F), Signal dom (Unsigned 32))
macMatvec wRom eRom inValid wBase eBase rows cols xm xe outReady =
  (inReady, outValid, y, cycles)
  where
    st = register st0 (trans <$> st <*> bundle (inValid, wBase, eBase, rows, cols, xm, xe, outReady)
                                 <*> wRom (wAddr <$> st) <*> eRom (eAddr <$> st))
    inReady = (\s -> phase s == Idle) <$> st
    outValid = (\s -> phase s == Hold) <$> st
    y = yR <$> st
    cycles = cyc <$> st
    st0 = MacState Idle (repeat 0) 0 0 0 0 0 0 0 False 0 0 False 0 (repeat 0) 0

trans :: MacState
      -> (Bool, Unsigned 16, Unsigned 10, Unsigned 8, Unsigned 8, Vec MaxCols Act, ExpS, Bool)
      -> Act -> ExpS -> MacState
trans s (iv, wb, eb, nr, nc, x, e, ordy) w ew = case phase s of
  Idle | iv -> s { phase = Run, xmR = x, xeR = e, nRows = nr, nCols = nc, wAddr = wb
                 , eAddr = eb, r = 0, c = 0, s1Valid = False, cyc = 1 }
       | otherwise -> s
  Run -> let lastCol = c s == nCols s - 1
             lastAll = lastCol && r s == nRows s - 1
         in accumulated { phase = if lastAll then Drain else Run
                        , wAddr = wAddr s + 1
                        , eAddr = if lastCol then eAddr s + 1 else eAddr s
                        , r = if lastCol then r s + 1 else r s
                        , c = if lastCol then 0 else c s + 1
                        , s1Valid = True, s1Row = r s, s1Col = c s, s1Last = lastCol }
  Drain -> if s1Valid s then accumulated { s1Valid = False } else s { phase = Hold, cyc = cyc s + 1 }
  Hold | ordy -> s { phase = Idle }
       | otherwise -> s
  where
    prod = resize ((resize w :: Signed 24) * resize (xmR s !! s1Col s)) :: Signed 32
    accNew = (if s1Col s == 0 then 0 else acc s) + prod
    yNew = shsat (resize accNew) (negate (resize ew + resize (xeR s) + 20))
    accumulated
      | s1Valid s = s { acc = accNew, cyc = cyc s + 1
                      , yR = if s1Last s then replace (s1Row s) yNew (yR s) else yR s }
      | otherwise = s { cyc = cyc s + 1 }
