-- | The rounding, saturation and table rules of docs/numerics.md, once, as explicit
-- integer operations (bit-exact with models/numerics.py).
--
-- Conversions between signed widths always use 'resize' (Clash 1.6.4 can emit a
-- zero-extension for 'fromIntegral' between 'Signed' types); shift amounts reach
-- 'shiftL'/'shiftR' only as small 'Unsigned' values.
module LlamaDv.Numerics
  ( F, Act, ExpS, Wide, Sh
  , one, sat32, sat8, rshr, shsat, ShsatAmt (..), shsatAmt, shsatShift, shsatRound, bitlen, absU, sumTree, dotAct
  , quantize, quantExp, quantElem, toF, expF, recipF, mulF, invsqrtF, Recip (..), recipIdle, recipStart
  , recipStartLarge, recipNext, recipOut, invsqrtSeed, invsqrtSquare, invsqrtTerm, invsqrtFinish ) where

import Clash.Prelude
import LlamaDv.Tables (exp2Lut, invsqrtLut, log2e)

-- | Q12.20 raw.
type F = Signed 32
-- | int8 mantissa of an activation or weight.
type Act = Signed 8
-- | Power-of-two exponent, clamped to [-64, 63].
type ExpS = Signed 7
-- | Intermediate width: every product and sum is formed here (at least 64 bits).
type Wide = Signed 64
-- | A signed shift amount (large enough for expF's exponent).
type Sh = Signed 16

one :: Wide
one = 1048576

sat32 :: Wide -> F
sat32 x
  | x > 2147483647 = maxBound
  | x < -2147483648 = minBound
  | otherwise = resize x

sat8 :: Wide -> Act
sat8 x
  | x > 127 = maxBound
  | x < -128 = minBound
  | otherwise = resize x

-- | A non-negative shift amount, clamped to 62, as a 6-bit unsigned number.
shAmt :: Sh -> Unsigned 6
shAmt s
  | s <= 0 = 0
  | s >= 62 = 62
  | otherwise = unpack (truncateB (pack s))

-- | Round half up, then arithmetic shift right by max(0, min(s, 62)).
rshr :: Wide -> Sh -> Wide
rshr x s = if k == 0 then x else (x + shiftL 1 (fromIntegral (k - 1))) `shiftR` fromIntegral k
  where
    k = shAmt s

-- | sat32 (rshr x s) for any sign of s; a left shift saturates exactly.
shsat :: Wide -> Sh -> F
shsat x s
  | s > 0 = sat32 (rshr x s)
  | otherwise = sat32 (shiftL xc (fromIntegral k))
  where
    xc = max (-2147483648) (min 2147483648 x)
    k :: Unsigned 5
    k = if s <= -31 then 31 else unpack (truncateB (pack (negate s)))

-- | 'shsat' in clocked pieces for a pipeline: the amount of a shift @s@ (formed a clock
-- ahead of the value), the barrel shift, then the rounding:
-- @sat32 (shsatRound a (shsatShift x a)) == shsat x (a = shsatAmt s)@. A right shift by
-- k >= 1 rounds half up as (x >> (k - 1) + 1) >> 1, which equals (x + 2^(k-1)) >> k.
data ShsatAmt = ShsatAmt { saRight :: Bool, saBy :: Unsigned 6 }
  deriving (Generic, NFDataX, Show, Eq)

shsatAmt :: Sh -> ShsatAmt
shsatAmt s
  | s > 0 = ShsatAmt True (shAmt s - 1)
  | otherwise = ShsatAmt False (if s <= -31 then 31 else unpack (truncateB (pack (negate s))))

shsatShift :: Wide -> ShsatAmt -> Wide
shsatShift x a
  | saRight a = x `shiftR` fromIntegral (saBy a)
  | otherwise = shiftL (max (-2147483648) (min 2147483648 x)) (fromIntegral (saBy a))

shsatRound :: ShsatAmt -> Wide -> Wide
shsatRound a y = if saRight a then (y + 1) `shiftR` 1 else y

-- | Number of bits of a non-negative number (bitlen 0 = 0), as a balanced tree of
-- maxima: a 'foldl' chain becomes a self-referential vector in Clash's Verilog, which
-- Icarus evaluates extremely slowly and Verilator flags as circular logic.
bitlen :: Unsigned 32 -> Unsigned 6
bitlen m = fold max (imap (\i b -> if b == high then resize (bitCoerce i :: Unsigned 5) + 1 else 0) (reverse (bv2v (pack m))))

-- | Dot product of two int8 vectors in int32 (exact for up to 2^17 elements), with
-- 16-bit products: narrow nets keep Icarus fast on Clash's part-select wiring.
dotAct :: forall n . (KnownNat n, 1 <= n) => Vec n Act -> Vec n Act -> Signed 32
dotAct a b = sumTree (map resize (zipWith (\x y -> resize x * resize y :: Signed 16) a b))

-- | Sum as a balanced adder tree (see 'bitlen' for why not 'foldl').
sumTree :: forall n a . (KnownNat n, 1 <= n, Num a) => Vec n a -> a
sumTree = leToPlus @1 @n (fold (+))

-- | |x| as unsigned (|-2^31| = 2^31).
absU :: F -> Unsigned 32
absU x = unpack (truncateB (pack (abs (resize x :: Signed 33))))

-- | F vector -> Act mantissas and one dynamic exponent (docs: Quantising).
quantize :: KnownNat n => Vec (n + 1) F -> (Vec (n + 1) Act, ExpS)
quantize xs = (map (quantElem e) xs, e)
  where
    e = quantExp (fold max (map absU xs))

-- | The exponent 'quantize' gives a vector whose largest magnitude is @mx@: a stream
-- can track @mx@ element by element and quantise each element as it is read.
quantExp :: Unsigned 32 -> ExpS
quantExp mx = resize (max (-64) (min 63 (s - 20)) :: Sh)
  where
    s = (bitCoerce (resize (bitlen mx) :: Unsigned 16) :: Sh) - 7

-- | One element's mantissa under exponent @e@.
quantElem :: ExpS -> F -> Act
quantElem e x
  | sh >= 0 = sat8 (rshr (resize x) sh)
  | otherwise = sat8 (shiftL (resize x) (fromIntegral (shAmt (negate sh))))
  where
    sh = resize e + 20 :: Sh

-- | Act -> F: sat32 (m * 2^(e+20)).
toF :: Act -> ExpS -> F
toF m e = shsat (resize m) (negate (resize e + 20))

-- | expF via the exp2 decomposition and the interpolated 257-entry LUT.
expF :: F -> F
expF x = shsat b (negate n)
  where
    t = rshr (resize x * log2e) 20
    n = resize (shiftR t 20) :: Sh
    f = t .&. 1048575
    i = unpack (truncateB (pack (shiftR f 12))) :: Unsigned 9
    r = f .&. 4095
    lo = resize (exp2Lut !! i) :: Wide
    hi = resize (exp2Lut !! (i + 1)) :: Wide
    b = lo + rshr ((hi - lo) * r) 12

-- | floor(2^40 / d) for a positive F raw d (the quotient may exceed 32 bits, so it is
-- returned wide). An unsigned 41-by-32-bit division: a signed 64-bit one would be
-- several times the logic for the same quotient.
recipF :: F -> Wide
recipF d = bitCoerce (resize q :: Unsigned 64)
  where
    q = (1099511627776 :: Unsigned 41) `quot` resize (bitCoerce d :: Unsigned 32)

-- | A sequential 'recipF': floor(2^40 / d) by restoring division, two quotient bits per
-- clock, for a unit driven by a state machine. The dividend 2^40 and the quotient share
-- one shift register: its high bits still to enter the remainder, its low bits the
-- quotient bits found so far. Bit-exact with 'recipF' (the same floor quotient).
data Recip = Recip
  { rcD :: Unsigned 32   -- ^ divisor
  , rcA :: Unsigned 32   -- ^ partial remainder (always below the divisor)
  , rcQ :: Unsigned 42   -- ^ dividend bits still to enter, then the quotient bits
  , rcN :: Unsigned 5    -- ^ clocks left; 0: idle, 'recipOut' holds the quotient
  } deriving (Generic, NFDataX, Show, Eq)

recipIdle :: Recip
recipIdle = Recip 0 0 0 0

-- | floor(2^40 / d) for any positive F raw d: 42 quotient bits (bit 41 of 2^40 is 0),
-- 21 clocks.
recipStart :: F -> Recip
recipStart d = Recip (bitCoerce d) 0 1099511627776 21

-- | floor(2^40 / d) for d >= 2^20 (the quotient is at most 2^20): quotient bits 41..22
-- are 0, and the remainder after them is floor(2^40 / 2^22) = 2^18 (below d, so no
-- earlier bit subtracted); the remaining 22 bits take 11 clocks.
recipStartLarge :: F -> Recip
recipStartLarge d = Recip (bitCoerce d) 262144 0 11

-- | One restoring step: shift the next dividend bit into the remainder, subtract the
-- divisor when it fits, shift the quotient bit in.
recipBit :: Unsigned 32 -> (Unsigned 32, Unsigned 42) -> (Unsigned 32, Unsigned 42)
recipBit d (a, q)
  | a2 >= dw = (truncateB (a2 - dw), q2 .|. 1)
  | otherwise = (truncateB a2, q2)
  where
    a2 = shiftL (resize a) 1 .|. (if testBit q 41 then 1 else 0) :: Unsigned 33
    dw = resize d :: Unsigned 33
    q2 = shiftL q 1

-- | The unit's next state: two restoring steps while clocks are left, else held.
recipNext :: Recip -> Recip
recipNext r
  | rcN r == 0 = r
  | otherwise = r { rcA = a', rcQ = q', rcN = rcN r - 1 }
  where
    (a', q') = recipBit (rcD r) (recipBit (rcD r) (rcA r, rcQ r))
{-# NOINLINE recipNext #-}

-- | The quotient, as 'recipF' returns it, once 'rcN' is 0.
recipOut :: Recip -> Wide
recipOut r = bitCoerce (resize (rcQ r) :: Unsigned 64)

-- | F x F -> F with one rounding.
mulF :: Wide -> Wide -> F
mulF a b = sat32 (rshr (a * b) 20)

-- | 1/sqrt(v) for a positive F raw: LUT seed + one Newton-Raphson step.
invsqrtF :: F -> F
invsqrtF v = invsqrtFinish y0 (invsqrtTerm mr (invsqrtSquare y0)) sh
  where
    (mr, y0, sh) = invsqrtSeed v

-- | The stages of 'invsqrtF', one multiplication each, so a state machine can register
-- between them. The seed: (normalised mantissa mr, LUT seed y0, even shift sh).
invsqrtSeed :: F -> (Wide, Wide, Sh)
invsqrtSeed v = (mr, y0, sh)
  where
    vw = resize v :: Wide
    p = (bitCoerce (resize (bitlen (absU v)) :: Unsigned 16) :: Sh) - 1
    bigE = p - 20
    o = bigE .&. 1
    sh = bigE - o
    mr = if sh >= 0 then shiftR vw (fromIntegral (shAmt sh)) else shiftL vw (fromIntegral (shAmt (negate sh)))
    idx = unpack (truncateB (pack (shiftL (resize o) 5 .|. (shiftR mr (fromIntegral (shAmt (15 + o))) .&. 31)))) :: Unsigned 6
    y0 = resize (invsqrtLut !! idx) :: Wide

-- | y0^2.
invsqrtSquare :: Wide -> Wide
invsqrtSquare y0 = rshr (y0 * y0) 20

-- | mr * y0^2.
invsqrtTerm :: Wide -> Wide -> Wide
invsqrtTerm mr y2 = rshr (mr * y2) 20

-- | The Newton-Raphson step from y0 and mr * y0^2, shifted back by half of sh.
invsqrtFinish :: Wide -> Wide -> Sh -> F
invsqrtFinish y0 tt sh = shsat (rshr (y0 * (3 * one - tt)) 21) (shiftR sh 1)
