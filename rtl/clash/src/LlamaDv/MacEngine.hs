-- | The shared MAC engine (milestone M2): y = W x for any matrix stored row-major in
-- the weight ROM, one int8 x int16 product per cycle through exactly one multiplier,
-- row exponents from a second ROM, scales fused by one shift per row.
--
-- Each element goes through five registered stages, so no clock carries more than one
-- of: the ROM read and the input-element select, the product, the accumulation, the
-- row's shift, its rounding, saturation and write (the plan's register slice after the
-- matvec accumulation; docs/synthesis.md, "Clock estimate").
module LlamaDv.MacEngine (MaxCols, macMatvec) where

import Clash.Prelude
import LlamaDv.Numerics

-- | Longest row / most rows one matvec can have (the FFN hidden size of SMALL).
type MaxCols = 128

data Phase = Idle | Run | Drain | Hold
  deriving (Generic, NFDataX, Show, Eq)

-- | The element a pipeline stage holds: valid, first / last column of its row, row.
data Tag = Tag { tValid :: Bool, tFirst :: Bool, tLast :: Bool, tRow :: Unsigned 8 }
  deriving (Generic, NFDataX, Show)

noTag :: Tag
noTag = Tag False False False 0

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
  , s1 :: Tag               -- ^ ROM words of this element arrive; its input element is picked
  , s1Col :: Unsigned 8
  , s2 :: Tag               -- ^ weight, input element and the row's shift, registered
  , s2W :: Act
  , s2X :: Act
  , s2Sh :: Sh
  , s3 :: Tag               -- ^ product and shift amounts, registered
  , s3P :: Signed 32
  , s3Amt :: ShsatAmt
  , acc :: Signed 32
  , s4 :: Tag               -- ^ a row's last sum is in 'acc'
  , s4Amt :: ShsatAmt
  , s5 :: Tag               -- ^ the row's shifted value, to round, saturate and write
  , s5Amt :: ShsatAmt
  , s5V :: Wide
  , yR :: Vec MaxCols F
  , cyc :: Unsigned 32
  } deriving (Generic, NFDataX, Show)

-- | @wRom@ / @eRom@ are one-cycle-latency ROMs (weight mantissas, row exponents).
-- Outputs: (in_ready, out_valid, y, cycles), where cycles counts from the accepting
-- clock edge to the edge that takes the result (rows x cols + 7 with out_ready high).
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
    amt0 = shsatAmt 0
    st0 = MacState Idle (repeat 0) 0 0 0 0 0 0 0 noTag 0 noTag 0 0 0 noTag 0 amt0 0 noTag amt0
                   noTag amt0 0 (repeat 0) 0

trans :: MacState
      -> (Bool, Unsigned 16, Unsigned 10, Unsigned 8, Unsigned 8, Vec MaxCols Act, ExpS, Bool)
      -> Act -> ExpS -> MacState
trans s (iv, wb, eb, nr, nc, x, e, ordy) w ew = case phase s of
  Idle | iv -> piped { phase = Run, xmR = x, xeR = e, nRows = nr, nCols = nc, wAddr = wb
                     , eAddr = eb, r = 0, c = 0, cyc = 1 }
       | otherwise -> piped
  Run -> let lastCol = c s == nCols s - 1
             lastAll = lastCol && r s == nRows s - 1
         in piped { phase = if lastAll then Drain else Run
                  , wAddr = wAddr s + 1
                  , eAddr = if lastCol then eAddr s + 1 else eAddr s
                  , r = if lastCol then r s + 1 else r s
                  , c = if lastCol then 0 else c s + 1
                  , s1 = Tag True (c s == 0) lastCol (r s), s1Col = c s, cyc = cyc s + 1 }
  Drain | busy -> piped { cyc = cyc s + 1 }
        | otherwise -> piped { phase = Hold, cyc = cyc s + 1 }
  Hold | ordy -> piped { phase = Idle }
       | otherwise -> piped
  where
    busy = any tValid (s1 s :> s2 s :> s3 s :> s4 s :> s5 s :> Nil)
    -- The stages advance on every clock; a state's own fields then override these.
    piped = s
      { s1 = noTag
      , s2 = s1 s, s2W = w, s2X = xmR s !! s1Col s, s2Sh = negate (resize ew + resize (xeR s) + 20)
      , s3 = s2 s, s3P = resize ((resize (s2W s) :: Signed 24) * resize (s2X s)), s3Amt = shsatAmt (s2Sh s)
      , acc = if tValid (s3 s) then (if tFirst (s3 s) then 0 else acc s) + s3P s else acc s
      , s4 = (s3 s) { tValid = tValid (s3 s) && tLast (s3 s) }, s4Amt = s3Amt s
      , s5 = s4 s, s5Amt = s4Amt s, s5V = shsatShift (resize (acc s)) (s4Amt s)
      , yR = if tValid (s5 s) then replace (tRow (s5 s)) (sat32 (shsatRound (s5Amt s) (s5V s))) (yR s) else yR s
      }
