-- | The autoregressive SMALL decoder: one token per request, every
-- matrix-vector product on one shared multiplier (weights row-packed in ROM files
-- written by models/export.py), attention over a block-RAM KV cache with the online
-- softmax of "LlamaDv.Attention", and a sequential argmax over the logits.
--
-- The whole step is one sequential FSM over narrow registers. Every vector (residual,
-- matvec input and outputs, rotated Q and K) lives in a small scratch RAM and is
-- touched one element per cycle. What changes on every clock of a matvec (its column,
-- row and six-stage MAC pipeline; the cycle counter) is registered apart from the FSM
-- state, and
-- each ROM is read only when its row is needed: during the 90 % of a token spent in
-- matvecs the FSM state and the ROM outputs hold still, which keeps event-driven
-- simulation fast. Memory read addresses are a function of the next state, so the
-- one-cycle-latency memories deliver what the current state needs.
--
-- Quantising a vector needs the largest magnitude before the first mantissa: the
-- writer of the matvec input tracks it as it writes ('vinMax'), and the 16-element
-- head packs (query, key, value) make two passes over their source.
--
-- Besides its KV writes, the decoder shows each head's attention result once it is
-- normalised ('AttOut'), so a testbench can name the layer and head where a result first
-- departs from the golden. 'DecoderFault' builds deliberately broken copies for the
-- negative tests; the real decoder is @decoder NoFault@.
module LlamaDv.Decoder
  ( Dim, HiddenDim, Vocab, KvRows, DecPhase (..), DecState (..), WeightRow, RomRead
  , DecoderFault (..), AttOut, ScratchRd (..), ScratchWr (..), Mac (..)
  , decoder, matrixShape, ropeV
    -- * Pieces the prefill pipeline ("LlamaDv.Prefill") reuses per stage
  , step, s0, startEmbed, romAddr, kvAddr, scratch, noWrites, attOut, logitShift, embedElem
  , macRegisters, readMatrix, stateRegisters
  ) where

import Clash.Prelude
import LlamaDv.Attention (KvRow, Soft (..))
import LlamaDv.Numerics
import LlamaDv.Tables (exp2Lut, invSqrtHd16, log2e, ropeCos16, ropeSin16)

type Dim = 64
type HiddenDim = 128
type Vocab = 64
-- | KV-cache rows: layer x KV head x position (2 x 2 x 16).
type KvRows = 64

-- | One weight row as a ROM word: up to 128 int8 mantissas, element 0 in the least
-- significant byte (64-wide rows are zero-extended). The MAC picks one byte per cycle;
-- unpacking whole rows into vectors cost an event-driven simulator dearly.
type WeightRow = BitVector 1024

-- | A ROM read: enable and row address. A ROM is enabled only when its row is needed,
-- so its output changes only then.
type RomRead dom = (Signal dom Bool, Signal dom (Unsigned 7))

-- | Mantissa @k@ of a weight row.
weightAt :: WeightRow -> Unsigned 8 -> Act
weightAt w k = unpack ((unpack w :: Vec 128 (BitVector 8)) !! (127 - k))

-- | A fault built into a test copy of the decoder: each must make the scoreboard fail.
data DecoderFault
  = NoFault
  | KvWrongRow     -- ^ every KV row is written one row past its position
  | SkipRescale    -- ^ the online softmax does not rescale when the running max grows
  | MiscountCycles -- ^ the cycles-per-token counter leaves out the argmax scan
  deriving (Eq, Show)

-- | One finished attention head: (layer, head, running-max updates, output row).
type AttOut = (Unsigned 1, Unsigned 2, Unsigned 5, Vec 16 F)

-- | Phases of a token. Element loops run the counter @i@; 'Rope' takes two cycles
-- per element (partner, then element and its products' tiles; their sums are formed on
-- the next and the rounded element is written on the one after) and 'Pack' two passes
-- of 16 (the maximum, its exponent and the shift amount in 20 clocks, then the
-- mantissas in 16 more). 'NormApply' forms each element in two pipelined
-- multiplications and writes it seven clocks after it entered. The divisions run on
-- the sequential reciprocal unit ('Recip', two quotient bits per clock): 'AttRcp'
-- starts 1/denominator of a head and 'AttDiv' waits for it (21 clocks); 'Silu' forms
-- the first sigmoid's denominator 1 + exp(-x) in 'SiluExpClocks' stages and starts its
-- division, then per element 'SiluDiv' waits for it (12 clocks) while the next
-- element's denominator goes through the same stages and the element before is gated
-- and written ('siluGatePipe'), then registers the quotient with its x and starts the
-- next element's division; 'SiluQuant' gates and writes the last element. 'AttFin'
-- normalises a head one lane per clock (product tiles, sum, rounding, write: 19 clocks,
-- see 'attFinMul'). 'NormInv' takes 13 clocks (counter @i@): the mean square, the seed
-- of 1/sqrt, the three multiplications of its Newton step in three clocks each (tiles,
-- sum, rounding), then the step's rounding, shift and saturation. 'AttRun' takes
-- 'AttClocks' clocks per KV row (sub-step counter 'aStep', see 'attStep' below): the
-- online softmax carries its state from row to row, so a row's stages run one after
-- the other, with their intermediate values in registers. Each stage's arithmetic is a
-- component of its own, so a timing report names it.
data DecPhase
  = Idle | Embed | NormSs | NormInv | NormApply | NormQuant
  | MvRun | MvPost | Rope | Pack | AttRun | AttRcp | AttDiv | AttFin | AttQuant
  | Resid | Silu | SiluDiv | SiluQuant | Scan | Hold
  deriving (Generic, NFDataX, Show, Eq)

-- | What a 'Pack' collects: a query head (for attention), or a key or value head
-- (for a KV row).
data PackKind = PackQ | PackK | PackV
  deriving (Generic, NFDataX, Show, Eq)

data DecState = DecState
  { phase :: DecPhase
  , layer :: Unsigned 1
  , pos :: Unsigned 4
  , tok :: Unsigned 6
  , i :: Unsigned 8
  , normK :: Unsigned 2      -- ^ 0 attention, 1 FFN, 2 final
  , ssR :: Wide             -- ^ sum of squares; in 'NormInv' the normalised mantissa
  , isqT :: F                -- ^ 'NormInv': the seed squared, then 3 - its product with the mantissa
  , isqSh :: Signed 6        -- ^ 'NormInv': the even shift (-18..10)
  , rinvR :: F               -- ^ 1/rms; in 'NormInv' the LUT seed
  , vinMax :: Unsigned 32    -- ^ largest magnitude written to the matvec input so far
  , xeR :: ExpS              -- ^ exponent of the matvec input
  , mat :: Unsigned 3        -- ^ 0..6 Wq Wk Wv Wo W1 W2 W3, 7 classifier
  , nRows :: Unsigned 8
  , nCols :: Unsigned 8
  , partner :: F             -- ^ RoPE: the other element of the pair; SiLU: x, then x * sigmoid(x)
  , packKind :: PackKind
  , packMax :: Unsigned 32
  , pm :: Vec 16 Act         -- ^ head being packed; the query during attention
  , pe :: ExpS
  , kmR :: Vec 16 Act        -- ^ packed key head, waiting for its value head
  , keR :: ExpS
  , h :: Unsigned 2
  , t :: Unsigned 4
  , soft :: Soft 16
  , upd :: Unsigned 5        -- ^ running-max updates of the current head
  , best :: F
  , bestIx :: Unsigned 6
  , rcp :: Recip             -- ^ the sequential reciprocal unit
  , aStep :: Unsigned 5      -- ^ 'AttRun': the stage of the current KV row (0 .. AttClocks - 1);
                             --   'Silu' / 'SiluDiv': the stage of the next element's 'sExp'
  , aProd :: Vec 16 (Signed 16) -- ^ 'AttRun': the score's 16 products
  , aSc :: F                 -- ^ 'AttRun': the score's dot product, shifted, then scaled
  , aAmt :: ShsatAmt         -- ^ 'AttRun': the score's shift amount, then the value exponent's
  , aSh :: Wide              -- ^ 'AttRun': the score's dot product, barrel-shifted
  , expA :: ExpPipe          -- ^ 'AttRun': expF of (old max - new max), the rescale factor a
  , expB :: ExpPipe          -- ^ 'AttRun': expF of (score - new max), the row's weight b
  , aDen :: Wide             -- ^ 'AttRun': den * a, then rounded
  , aAcc :: Vec 16 Wide      -- ^ 'AttRun': acc * a, then rounded
  , aVt :: Vec 16 Wide       -- ^ 'AttRun': v * b, then shifted (vterm)
  , isqA :: ShsatAmt         -- ^ 'NormInv': the final shift amount of the Newton step
  , nP :: F                  -- ^ 'NormApply': x * rinv, rounded
  , nG :: Vec 4 F            -- ^ 'NormApply': the gains of the last four elements
  , nO :: F                  -- ^ 'NormApply': the output element, to be written
  , sExp :: ExpPipe          -- ^ 'Silu' / 'SiluDiv': 1 + expF (-x) of the next element, in stages
  , sX :: F                  -- ^ 'SiluDiv': the element being divided
  , sXn :: F                 -- ^ 'SiluDiv': the next element (what 'sExp' started from)
  , ropeA :: Wide            -- ^ 'Rope': the element times cos
  , ropeB :: Wide            -- ^ 'Rope': its partner times sin
  , ropeCs :: Signed 22      -- ^ 'Rope': cos of the element's pair
  , ropeSn :: Signed 22      -- ^ 'Rope': its sin
  , finP :: Wide             -- ^ 'AttFin': a lane of the accumulator times the reciprocal ('finT' summed)
  , packY :: Wide            -- ^ 'Pack': the element shifted by the head's exponent ('packShift')
  , packA :: Unsigned 32     -- ^ 'Pack': the magnitude of the element read the clock before
  , packD :: F               -- ^ 'Pack': the element read the clock before (pass two)
  , packAm :: ShsatAmt       -- ^ 'Pack': the shift under the head's exponent ('packAmt')
  , packR :: Bool            -- ^ 'Pack': whether that shift rounds
  , absR :: Unsigned 32      -- ^ the magnitude of the element last written to the matvec input
  , sT :: Tiles              -- ^ 'SiluDiv': the product tiles of x * sigmoid, then of the gate;
                             --   'NormInv': of its products
  , sS :: Wide               -- ^ 'SiluDiv': sigmoid(x) (the quotient), then the tiles' sum;
                             --   'NormInv': the tiles' sum
  , sY :: F                  -- ^ 'SiluDiv': the W3 output element of the gate
  , sO :: F                  -- ^ 'SiluDiv': the gated element, to be written
  , nX :: F                  -- ^ 'NormApply': the element read
  , nT :: Tiles              -- ^ 'NormApply': the tiles of x * rinv
  , nS :: Wide               -- ^ 'NormApply': their sum
  , nTg :: Tiles             -- ^ 'NormApply': the tiles of x * rinv * gain
  , nSg :: Wide              -- ^ 'NormApply': their sum
  , ropeT :: Vec 2 Tiles     -- ^ 'Rope': the tiles of the element times cos, its partner times sin
  , finT :: Tiles            -- ^ 'AttFin': the tiles of a lane times the reciprocal
  } deriving (Generic, NFDataX, Show)

-- | The matvec engine's counters and pipeline, registered apart from 'DecState': they
-- change every cycle of a matvec, and the FSM state then does not change at all.
--
-- Each element goes through six registered stages, as in "LlamaDv.MacEngine" with the
-- quantisation in two: (A) the weight byte picked from the ROM row, the input element
-- and the row's shift as the memories deliver them; (Q) the input element shifted by the
-- input's exponent, the shift's amount; (B) its rounding and saturation, the input
-- mantissa; (C) the product; (D) the accumulation; (E) the row's barrel shift; then its
-- rounding and saturation go to the output RAM. The counters stop at the last element ('macDone')
-- while the pipeline drains; 'MvRun' ends with the last row's write.
data Mac = Mac
  { macCol :: Unsigned 8, macRow :: Unsigned 8, macDone :: Bool
  , mA :: MacTag, mAW :: Act, mAX :: F, mASh :: Sh
  , mQ :: MacTag, mQW :: Act, mQY :: Wide, mQR :: Bool, mQAmt :: ShsatAmt
  , mB :: MacTag, mBW :: Act, mBX :: Act, mBAmt :: ShsatAmt
  , mC :: MacTag, mCP :: Signed 16, mCAmt :: ShsatAmt
  , macAcc :: Signed 32, mD :: MacTag, mDAmt :: ShsatAmt
  , mE :: MacTag, mEAmt :: ShsatAmt, mEV :: Wide
  } deriving (Generic, NFDataX, Show)

-- | The element a MAC stage holds: valid, first / last column of its row, row. In 'mD'
-- and 'mE' valid means a row's finished sum.
data MacTag = MacTag { tValid :: Bool, tFirst :: Bool, tLast :: Bool, tRow :: Unsigned 8 }
  deriving (Generic, NFDataX, Show)

noTag :: MacTag
noTag = MacTag False False False 0

mac0 :: Mac
mac0 = Mac 0 0 False noTag 0 0 0 noTag 0 0 False amt0 noTag 0 0 amt0 noTag 0 amt0 0 noTag amt0 noTag amt0 0

amt0 :: ShsatAmt
amt0 = ShsatAmt False 0

-- | Read data of the scratch RAMs: residual @x@, matvec input @vin@, matvec output
-- @y@, W1 output @hid@, rotated query (0..63) and key (64..95) @rot@.
data ScratchRd = ScratchRd { rdX :: F, rdVin :: F, rdY :: F, rdHid :: F, rdRot :: F }
  deriving (Generic, NFDataX, Show)

data ScratchWr = ScratchWr
  { wrX :: Maybe (Unsigned 6, F)
  , wrVin :: Maybe (Unsigned 7, F)
  , wrY :: Maybe (Unsigned 7, F)
  , wrHid :: Maybe (Unsigned 7, F)
  , wrRot :: Maybe (Unsigned 7, F)
  } deriving (Generic, NFDataX, Show)

noWrites :: ScratchWr
noWrites = ScratchWr Nothing Nothing Nothing Nothing Nothing

-- | (rows, columns) of matrix kind k (Wq Wk Wv Wo W1 W2 W3, classifier).
matrixShape :: Unsigned 3 -> (Unsigned 8, Unsigned 8)
matrixShape k = case k of
  1 -> (32, 64)
  2 -> (32, 64)
  4 -> (128, 64)
  5 -> (64, 128)
  6 -> (128, 64)
  _ -> (64, 64)

-- | RoPE of one adjacent pair (x0, x1) at position @p@, pair @j@ of its 16-wide head.
ropePair :: Unsigned 4 -> Unsigned 8 -> F -> F -> (F, F)
ropePair p j x0 x1 = (sat32 (rshr (w0 * cs - w1 * sn) 20), sat32 (rshr (w0 * sn + w1 * cs) 20))
  where
    w0 = resize x0 :: Wide
    w1 = resize x1 :: Wide
    a = resize p * 8 + (j .&. 7) :: Unsigned 8
    cs = resize (ropeCos16 !! a) :: Wide
    sn = resize (ropeSin16 !! a) :: Wide

-- | RoPE over adjacent pairs of a vector of 16-wide heads at position @p@.
ropeV :: forall n . KnownNat n => Unsigned 4 -> Vec (n * 2) F -> Vec (n * 2) F
ropeV p x = concat (imap rot (unconcat d2 x))
  where
    rot :: Index n -> Vec 2 F -> Vec 2 F
    rot k v = let (a, b) = ropePair p (fromIntegral k) (head v) (last v) in a :> b :> Nil

-- | Element @e@ of a rotated vector from its own value and its pair partner's, in four
-- clocks: cos and sin of its pair at position @p@ (table entries in [-2^20, 2^20],
-- looked up in the clock that reads the partner),
ropeTable :: Unsigned 4 -> Unsigned 8 -> (Signed 22, Signed 22)
ropeTable p e = (resize (ropeCos16 !! a), resize (ropeSin16 !! a))
  where
    j = shiftR e 1
    a = resize p * 8 + (j .&. 7) :: Unsigned 8
{-# NOINLINE ropeTable #-}

-- | the products self * cos and partner * sin, each as tiles (F x F: the table entries
-- are exact as F raws; 'mulSum' of each on the next clock),
ropeMul :: F -> F -> Tiles
ropeMul = mulTilesF
{-# NOINLINE ropeMul #-}

-- | then their sum (odd @e@) or difference (even @e@), rounded and saturated: 'ropePair'
-- of the pair, the element's half.
ropeFin :: Bool -> Wide -> Wide -> F
ropeFin isOdd a b = sat32 (rshr (if isOdd then a + b else a - b) 20)
{-# NOINLINE ropeFin #-}

-- | -x for an F raw; -(-2^31) would wrap, and expF saturates identically at 2^31 - 1.
negF :: F -> F
negF x = if x == minBound then maxBound else negate x

addF :: F -> F -> F
addF a b = sat32 (resize a + resize b)

-- Products are formed at the width of their operands' values ('mul'), then resized to
-- 'Wide': the same 64-bit result as a product of the operands resized to 'Wide' (which
-- wraps modulo 2^64 exactly as the resize of the full product does), from a multiplier
-- of the operand widths instead of a 64 x 64-bit one.

-- | "LlamaDv.Numerics".'mulF' of two F raws: sat32 (rshr (a * b) 20).
mulFF :: F -> F -> F
mulFF a b = sat32 (rshr (resize (mul a b)) 20)

-- A pipelined product for the clock: a DSP48E2 multiplies at most 27 x 18 bits
-- (signed), so a wider product is formed as partial products of such tiles, registered
-- ('Tiles', from 'mulTiles'), summed on the next clock ('mulSum') and
-- rounded and saturated on the one after ('mulRound'): @mulRound (mulSum (mulTilesF a
-- b)) == mulFF a b@. An F operand is split at bit 17 into its signed high 15 bits and
-- its unsigned low 17 bits: x = xh * 2^17 + xl. The sum is exact in 'Wide' (or wraps
-- modulo 2^64 exactly as a product resized to 'Wide' does).

-- | Partial products (hh, hl, lh, ll): x * y = hh * 2^34 + (hl + lh) * 2^17 + ll.
type Tiles = Vec 4 Wide

-- | A signed value split at bit 17: its signed high part and its low 17 bits (as a
-- non-negative 18-bit signed value).
{-# INLINE splitS #-}
splitS :: forall h . KnownNat h => Signed (h + 17) -> (Signed h, Signed 18)
splitS x = (unpack xh, unpack (0 ++# xl))
  where
    (xh, xl) = split (pack x) :: (BitVector h, BitVector 17)

-- | The tiles of a product of an (ha + 17)-bit and an (hb + 17)-bit value: ha x hb,
-- ha x 18, 18 x hb and 18 x 18 bits, each one DSP48E2 while ha and hb are at most 27
-- and one of them at most 18.
{-# INLINE mulTiles #-}
mulTiles :: forall ha hb . (KnownNat ha, KnownNat hb) => Signed (ha + 17) -> Signed (hb + 17) -> Tiles
mulTiles x y = resize (mul xh yh) :> resize (mul xh yl) :> resize (mul xl yh) :> resize (mul xl yl) :> Nil
  where
    (xh, xl) = splitS x
    (yh, yl) = splitS y

-- | The tiles of an F x F product: 15 x 15, 15 x 18, 18 x 15, 18 x 18 bits.
{-# INLINE mulTilesF #-}
mulTilesF :: F -> F -> Tiles
mulTilesF = mulTiles @15 @15

-- | The product from its registered tiles,
mulSum :: Tiles -> Wide
mulSum t = shiftL (t !! (0 :: Int)) 34 + shiftL (t !! (1 :: Int) + t !! (2 :: Int)) 17 + t !! (3 :: Int)
{-# NOINLINE mulSum #-}

-- | rounded (by 20 bits) and saturated on the next clock.
mulRound :: Wide -> F
mulRound p = sat32 (rshr p 20)
{-# NOINLINE mulRound #-}

-- The arithmetic of each FSM state is a NOINLINE function, so Clash makes it a
-- component of its own. Clash 1.6.4's disjoint-expression consolidation otherwise
-- shares one multiplier between the alternatives of the state case, and where an
-- alternative chains two products (x * rinv * gain, the SiLU gate) it fed that
-- multiplier's output back into its own input: a combinational loop in the Verilog
-- (Verilator UNOPTFLAT) that computed wrong values while Clash's own simulation was
-- right (docs/clash.md).

-- | Running sum of squares of RMSNorm.
sumSquare :: Wide -> F -> Wide
sumSquare ss x = ss + rshr (resize (mul x x)) 20
{-# NOINLINE sumSquare #-}

-- | 1/sqrt(mean square + eps) from the sum of squares of 64 elements, in the stages of
-- 'invsqrtF' (one clock each, each product as tiles, their sum and its rounding in
-- clocks of their own): the mean square plus eps,
normInvArg :: Wide -> F
normInvArg ss = sat32 (min (shiftR ss 6) 2147483647 + 10)
{-# NOINLINE normInvArg #-}

-- | the seed (mantissa mr, LUT seed y0, shift sh),
normInv :: F -> (Wide, Wide, Sh)
normInv = invsqrtSeed
{-# NOINLINE normInv #-}

-- | the seed squared (the LUT's seeds are below 2^20),
normInvSquare :: F -> Tiles
normInvSquare y0 = mulTilesF y0 y0
{-# NOINLINE normInvSquare #-}

-- | rounded: y2 = y0^2,
normInvShr :: Wide -> F
normInvShr p = resize (rshr p 20)
{-# NOINLINE normInvShr #-}

-- | times the mantissa (below 2^22, 'invsqrtSeed' normalises it to 21 or 22 bits, so
-- exact as an F),
normInvTerm :: Wide -> F -> Tiles
normInvTerm mr y2 = mulTilesF (resize mr) y2
{-# NOINLINE normInvTerm #-}

-- | rounded, and 3 - y0^2 mr from it (y0^2 mr is in [0, 2^24), so 3 - y0^2 mr is an F),
normInvNewton :: Wide -> F
normInvNewton p = resize (3 * one - rshr p 20)
{-# NOINLINE normInvNewton #-}

-- | and the Newton-Raphson step ('invsqrtFinish'): y0 * (3 - y0^2 mr),
normInvStep :: F -> F -> Tiles
normInvStep y0 t3 = mulTilesF y0 t3
{-# NOINLINE normInvStep #-}

-- | rounded by 21 bits, and the amount of the shift back by half of sh,
normInvHalf :: Wide -> Sh -> (Wide, ShsatAmt)
normInvHalf p sh = (rshr p 21, shsatAmt (shiftR sh 1))
{-# NOINLINE normInvHalf #-}

-- | that shift,
normInvShift :: Wide -> ShsatAmt -> Wide
normInvShift = shsatShift
{-# NOINLINE normInvShift #-}

-- | rounded and saturated: 1/rms.
normInvFinish :: ShsatAmt -> Wide -> F
normInvFinish a y = sat32 (shsatRound a y)
{-# NOINLINE normInvFinish #-}

-- | One RMSNorm output element x * rinv * gain in two pipelined products (tiles, sum,
-- rounding each): x * rinv,
normScale :: F -> F -> Tiles
normScale = mulTilesF
{-# NOINLINE normScale #-}

-- | then times the gain.
normGain :: F -> F -> Tiles
normGain = mulTilesF
{-# NOINLINE normGain #-}

-- | The SiLU's two products, as tiles ('mulSum' and 'mulRound' follow), on one set of
-- multipliers, three clocks apart: silu(x) = x * sigmoid(x) from the reciprocal of
-- 'siluDen' x (the denominator is at least 1.0, so sigmoid(x) = floor(2^40 / den) is at
-- most 2^20 and is exact as an F), then the SwiGLU element silu(w1 x) * (w3 x).
siluMul :: F -> F -> Tiles
siluMul = mulTilesF
{-# NOINLINE siluMul #-}

-- | The magnitude of an element written to the matvec input, registered ('absR')
-- before it enters the running maximum 'vinMax'.
vinAbs :: F -> Unsigned 32
vinAbs = absU
{-# NOINLINE vinAbs #-}

-- | The magnitude of an element of a head being packed, registered ('packA').
packAbs :: F -> Unsigned 32
packAbs = absU
{-# NOINLINE packAbs #-}

-- | The exponent of the matvec input from the registered maximum.
vinExp :: Unsigned 32 -> ExpS
vinExp = quantExp
{-# NOINLINE vinExp #-}

-- | The exponent of a head being packed from the registered maximum.
packExp :: Unsigned 32 -> ExpS
packExp = quantExp
{-# NOINLINE packExp #-}

-- | "LlamaDv.Numerics".'expF' in stages, one multiplication, table lookup or wide
-- addition each, for the attention step and the SiLU to register between them:
-- @expRound . expShift . expInterp . expMul . expLookup . expSplit . expArg == expF@,
-- step for step the same operations (a one-off comparison on all of -2^22..2^22 and 3
-- million random arguments found no difference). Written out here, not as 'expF''s
-- definition: a change of "LlamaDv.Numerics" changes the Verilog, or at least the
-- manifest hash, of every top built on it. An expF in progress: the shift n, table
-- index i, remainder r, table entry lo, the value of the current stage ('epX') and the
-- amount of the final shift by -n ('epA').
data ExpPipe = ExpPipe { epN :: Sh, epI :: Unsigned 9, epR :: Wide, epLo :: Wide, epX :: Wide, epA :: ShsatAmt }
  deriving (Generic, NFDataX, Show, Eq)

-- | An expF about to start from the argument @x@ (as a Wide).
expIn :: Wide -> ExpPipe
expIn x = ExpPipe 0 0 0 0 x amt0

-- | x * log2(e),
expArg :: F -> Wide
expArg x = resize (mul x (resize log2e :: Signed 22))

-- | t = rshr (x * log2e) 20 as the shift n = t >> 20, the index i and the remainder r of
-- f = t mod 2^20,
expSplit :: Wide -> ExpPipe
expSplit p = ExpPipe n i r 0 0 amt0
  where
    t = rshr p 20
    n = resize (shiftR t 20) :: Sh
    f = t .&. 1048575
    i = unpack (truncateB (pack (shiftR f 12))) :: Unsigned 9
    r = f .&. 4095

-- | the table entries: lo = LUT[i], and hi - lo (hi = LUT[i + 1]); the amount of the
-- final shift by -n,
expLookup :: ExpPipe -> ExpPipe
expLookup e = e { epLo = lo, epX = hi - lo, epA = shsatAmt (negate (epN e)) }
  where
    lo = resize (exp2Lut !! epI e) :: Wide
    hi = resize (exp2Lut !! (epI e + 1)) :: Wide

-- | (hi - lo) * r: as a 16 x 14-bit product, exact, since the table's steps are below
-- 2^15 (at most 5 668) and r is below 2^12,
expMul :: ExpPipe -> ExpPipe
expMul e = e { epX = resize (mul (resize (epX e) :: Signed 16) (resize (epR e) :: Signed 14)) }

-- | b = lo + rshr ((hi - lo) * r) 12,
expInterp :: ExpPipe -> ExpPipe
expInterp e = e { epX = epLo e + rshr (epX e) 12 }

-- | b barrel-shifted by -n,
expShift :: ExpPipe -> ExpPipe
expShift e = e { epX = shsatShift (epX e) (epA e) }

-- | rounded and saturated: shsat b (-n), as an F raw in 'epX'.
expRound :: ExpPipe -> ExpPipe
expRound e = e { epX = resize (sat32 (shsatRound (epA e) (epX e))) }

-- The SiLU's denominator 1 + exp(-x) in 'SiluExpClocks' stages: the same expF stages,
-- for the element after the one being divided, while its division runs ('sExp').

-- | Clocks of the SiLU denominator's stages ('siluPipe').
type SiluExpClocks = 9

-- | -x,
siluExpIn :: F -> ExpPipe -> ExpPipe
siluExpIn x e = e { epX = resize (negF x) }
{-# NOINLINE siluExpIn #-}

siluExpArg :: ExpPipe -> ExpPipe
siluExpArg e = e { epX = expArg (resize (epX e)) }
{-# NOINLINE siluExpArg #-}

siluExpSplit :: ExpPipe -> ExpPipe
siluExpSplit e = expSplit (epX e)
{-# NOINLINE siluExpSplit #-}

siluExpLookup :: ExpPipe -> ExpPipe
siluExpLookup = expLookup
{-# NOINLINE siluExpLookup #-}

siluExpMul :: ExpPipe -> ExpPipe
siluExpMul = expMul
{-# NOINLINE siluExpMul #-}

siluExpInterp :: ExpPipe -> ExpPipe
siluExpInterp = expInterp
{-# NOINLINE siluExpInterp #-}

siluExpShift :: ExpPipe -> ExpPipe
siluExpShift = expShift
{-# NOINLINE siluExpShift #-}

siluExpRound :: ExpPipe -> ExpPipe
siluExpRound = expRound
{-# NOINLINE siluExpRound #-}

-- | and the denominator sat32 (1 + exp(-x)): at least one (2^20), as
-- 'recipStartLarge' needs.
siluDen :: ExpPipe -> ExpPipe
siluDen e = e { epX = resize (sat32 (one + epX e)) }
{-# NOINLINE siluDen #-}

-- | Stage @k@ of the denominator of x: after stage SiluExpClocks - 1, 'epX' holds
-- sat32 (one + expF (negF x)).
siluPipe :: Unsigned 5 -> F -> ExpPipe -> ExpPipe
siluPipe k x e = case k of
  0 -> siluExpIn x e
  1 -> siluExpArg e
  2 -> siluExpSplit e
  3 -> siluExpLookup e
  4 -> siluExpMul e
  5 -> siluExpInterp e
  6 -> siluExpShift e
  7 -> siluExpRound e
  _ -> siluDen e
{-# NOINLINE siluPipe #-}

-- | Clocks of 'AttRun' per KV row: the stages of 'attStep'.
type AttClocks = 17

-- The online-softmax step of attention ("LlamaDv.Attention".'score' of the query
-- against row t, then 'softStep': the update of the running max, denominator and
-- accumulator) in 'AttClocks' stages, each at most one multiplication, table lookup,
-- barrel shift or wide addition with its rounding or saturation, registered in between
-- (the sub-step 'aStep' of 'AttRun'). Stage by stage ('attStep' below):
--
--   0  the 16 products of query and key mantissas        'attProducts'
--   1  their sum; the amount of its shift                 'attDot', 'attShiftAmt'
--   2  the shift by the exponents                         'attShift'
--   3  its rounding and saturation: sF                    'attShiftRound'
--   4  sat32 (rshr (sF * invSqrtHd16) 20): the score s     'attScale'
--   5  the new running max and the arguments of a and b  'attMax'
--   6-12  expF of both, in its stages ('expArg' .. 'expRound')
--   13 den * a, acc * a, v * b; vterm's shift amount       'attWeigh', 'attVtAmt'
--   14 den and acc rounded, vterm's barrel shift         'attRound'
--   15 vterm's rounding and saturation                    'attVtRound'
--   16 den' and acc' with their saturations              'attUpdate'
--
-- The composition is 'score' and 'softStep' bit for bit: the first row of a head takes
-- 'softStep''s first-row values, and @rescale = False@ (the 'SkipRescale' fault) skips
-- the accumulator's rescale as there. The KV row stays at the RAM's output for all the
-- stages (its address, a function of @t@, changes only with the last one).

-- | The 16 products of the query and key mantissas (as in 'dotAct'),
attProducts :: Vec 16 Act -> Vec 16 Act -> Vec 16 (Signed 16)
attProducts qm km = zipWith (\x y -> resize x * resize y) qm km
{-# NOINLINE attProducts #-}

-- | their sum,
attDot :: Vec 16 (Signed 16) -> Signed 32
attDot ps = sumTree (map resize ps)
{-# NOINLINE attDot #-}

-- | the amount of its shift by the query and key exponents,
attShiftAmt :: ExpS -> ExpS -> ShsatAmt
attShiftAmt qe ke = shsatAmt (negate (resize qe + resize ke + 20))
{-# NOINLINE attShiftAmt #-}

-- | the shift,
attShift :: Signed 32 -> ShsatAmt -> Wide
attShift d a = shsatShift (resize d) a
{-# NOINLINE attShift #-}

-- | rounded and saturated (with the two stages before, shsat d (-(qe + ke + 20))),
attShiftRound :: ShsatAmt -> Wide -> F
attShiftRound a y = sat32 (shsatRound a y)
{-# NOINLINE attShiftRound #-}

-- | and scaled by 1/sqrt(head dim): the score.
attScale :: F -> F
attScale sF = sat32 (rshr (resize (mul sF (resize invSqrtHd16 :: Signed 20))) 20)
{-# NOINLINE attScale #-}

-- | The new running max from the old one and the score s, the arguments of expF for
-- a (old max - new max) and b (s - new max), and whether the max strictly grew. A
-- head's first row takes s as its max.
attMax :: Bool -> F -> F -> (F, F, F, Bool)
attMax first mx s
  | first = (s, 0, 0, False)
  | otherwise = (mx', sat32 (resize mx - resize mx'), sat32 (resize s - resize mx'), s > mx)
  where
    mx' = max mx s
{-# NOINLINE attMax #-}

-- | expF's stages on a and b at once.
attExpArg :: ExpPipe -> ExpPipe -> (ExpPipe, ExpPipe)
attExpArg a b = (arg a, arg b)
  where
    arg e = e { epX = expArg (resize (epX e)) }
{-# NOINLINE attExpArg #-}

attExpSplit :: ExpPipe -> ExpPipe -> (ExpPipe, ExpPipe)
attExpSplit a b = (expSplit (epX a), expSplit (epX b))
{-# NOINLINE attExpSplit #-}

attExpLookup :: ExpPipe -> ExpPipe -> (ExpPipe, ExpPipe)
attExpLookup a b = (expLookup a, expLookup b)
{-# NOINLINE attExpLookup #-}

attExpMul :: ExpPipe -> ExpPipe -> (ExpPipe, ExpPipe)
attExpMul a b = (expMul a, expMul b)
{-# NOINLINE attExpMul #-}

attExpInterp :: ExpPipe -> ExpPipe -> (ExpPipe, ExpPipe)
attExpInterp a b = (expInterp a, expInterp b)
{-# NOINLINE attExpInterp #-}

attExpShift :: ExpPipe -> ExpPipe -> (ExpPipe, ExpPipe)
attExpShift a b = (expShift a, expShift b)
{-# NOINLINE attExpShift #-}

-- | The results replace 'epX': a and b as F raws.
attExpRound :: ExpPipe -> ExpPipe -> (ExpPipe, ExpPipe)
attExpRound a b = (expRound a, expRound b)
{-# NOINLINE attExpRound #-}

-- | The products of the update: den * a, acc * a (acc itself without the rescale) and
-- v * b (v * 1.0 on a head's first row).
attWeigh :: Bool -> Bool -> Soft 16 -> Vec 16 Act -> F -> F -> (Wide, Vec 16 Wide, Vec 16 Wide)
attWeigh rescale first st vm a b =
  (resize (mul (sDen st) a), map scale (sAcc st), map (\v -> resize (mul v w)) vm)
  where
    scale x = if rescale then resize (mul x a) else resize x
    w = if first then resize one else b :: F
{-# NOINLINE attWeigh #-}

-- | The amount of vterm's shift by the value exponent,
attVtAmt :: ExpS -> ShsatAmt
attVtAmt ev = shsatAmt (negate (resize ev))
{-# NOINLINE attVtAmt #-}

-- | the roundings of den * a and acc * a (rshr by 20), and vterm's barrel shift,
attRound :: Bool -> ShsatAmt -> Wide -> Vec 16 Wide -> Vec 16 Wide -> (Wide, Vec 16 Wide, Vec 16 Wide)
attRound rescale av pd pa pv =
  (rshr pd 20, map (\p -> if rescale then rshr p 20 else p) pa, map (\p -> shsatShift p av) pv)
{-# NOINLINE attRound #-}

-- | and its rounding and saturation: vterm = shsat (v * b) (-ev).
attVtRound :: ShsatAmt -> Vec 16 Wide -> Vec 16 Wide
attVtRound av = map (\y -> resize (sat32 (shsatRound av y)))
{-# NOINLINE attVtRound #-}

-- | The new denominator and accumulator, saturated (a head's first row: 1.0 and the
-- value terms).
attUpdate :: Bool -> F -> Wide -> Vec 16 Wide -> Vec 16 Wide -> (F, Vec 16 F)
attUpdate first b sd sa vt
  | first = (resize one, map resize vt)
  | otherwise = (sat32 (sd + resize b), zipWith (\x v -> sat32 (x + v)) sa vt)
{-# NOINLINE attUpdate #-}

-- The head normaliser of 'AttFin' ("LlamaDv.Attention".'softFinishWith'), one lane
-- per clock: the lane of the accumulator times the reciprocal floor(2^40 / den) (below
-- 2^42, as the unit's quotient register holds it), as tiles (32 x 43 bits), summed on
-- the next clock ('mulSum'),
attFinMul :: Wide -> F -> Tiles
attFinMul r x = mulTiles @15 @26 x (resize r)
{-# NOINLINE attFinMul #-}

-- | then rounded and saturated on the clock after.
attFinRound :: Wide -> F
attFinRound p = sat32 (rshr p 20)
{-# NOINLINE attFinRound #-}

-- | One clock of 'AttRun': stage 'aStep' of the online-softmax step of row t against
-- the query, with the row @kv@ at the KV RAM's output. The last stage moves to the
-- next row (or to 'AttRcp' after row pos). A component of its own, with the stages as
-- its subcomponents (the synthesis flow maps it in a run of its own,
-- regress/yosys/defaults.py).
attStep :: Bool -> DecState -> KvRow 16 -> DecState
attStep rescale s (km, ke, vm, ev) = case aStep s of
  0 -> next { aProd = attProducts (pm s) km }
  1 -> next { aSc = attDot (aProd s), aAmt = attShiftAmt (pe s) ke }
  2 -> next { aSh = attShift (aSc s) (aAmt s) }
  3 -> next { aSc = attShiftRound (aAmt s) (aSh s) }
  4 -> next { aSc = attScale (aSc s) }
  5 -> let (mx, da, db, grew) = attMax first (sMax (soft s)) (aSc s)
       in next { soft = (soft s) { sMax = mx }, upd = upd s + (if grew then 1 else 0)
               , expA = expIn (resize da), expB = expIn (resize db) }
  6 -> exps (attExpArg (expA s) (expB s))
  7 -> exps (attExpSplit (expA s) (expB s))
  8 -> exps (attExpLookup (expA s) (expB s))
  9 -> exps (attExpMul (expA s) (expB s))
  10 -> exps (attExpInterp (expA s) (expB s))
  11 -> exps (attExpShift (expA s) (expB s))
  12 -> exps (attExpRound (expA s) (expB s))
  13 -> let (pd, pa, pv) = attWeigh rescale first (soft s) vm a b
        in next { aDen = pd, aAcc = pa, aVt = pv, aAmt = attVtAmt ev }
  14 -> let (sd, sa, vt) = attRound rescale (aAmt s) (aDen s) (aAcc s) (aVt s) in next { aDen = sd, aAcc = sa, aVt = vt }
  15 -> next { aVt = attVtRound (aAmt s) (aVt s) }
  _ -> let (d', acc') = attUpdate first b (aDen s) (aAcc s) (aVt s)
       in s { soft = (soft s) { sDen = d', sAcc = acc' }, aStep = 0
            , phase = if t s == pos s then AttRcp else AttRun, t = t s + 1 }
  where
    first = t s == 0
    next = s { aStep = aStep s + 1 }
    exps (ea, eb) = next { expA = ea, expB = eb }
    a = resize (epX (expA s)) :: F
    b = resize (epX (expB s)) :: F
{-# NOINLINE attStep #-}

startMv :: Unsigned 3 -> DecState -> DecState
startMv k s = s { phase = MvRun, mat = k, nRows = fst sh, nCols = snd sh }
  where
    sh = matrixShape k

startNorm :: Unsigned 2 -> DecState -> DecState
startNorm k s = s { phase = NormSs, normK = k, i = 0, ssR = 0 }

-- | Load a residual vector (an embedding, or a pipeline stage's input) at position
-- @p@, then normalise it with RMSNorm kind @k@.
startEmbed :: Unsigned 2 -> Unsigned 4 -> DecState -> DecState
startEmbed k p s = s { phase = Embed, normK = k, pos = p, i = 0 }

startPack :: PackKind -> Unsigned 2 -> DecState -> DecState
startPack k hh s = s { phase = Pack, packKind = k, h = hh, i = 0 }

-- | Start an element loop that writes the matvec input.
startVin :: DecPhase -> DecState -> DecState
startVin p s = s { phase = p, i = 0, vinMax = 0, absR = 0, aStep = 0 }

kvBase :: Unsigned 1 -> Unsigned 2 -> Unsigned 6
kvBase l kvh = (resize l * 2 + resize kvh) * 16

-- | Index of the matrix ROM the state reads (layer-major, classifier last).
matrixIndex :: DecState -> Unsigned 4
matrixIndex s = if mat s == 7 then 14 else resize (layer s) * 7 + resize (mat s)

-- | Index of the gain ROM (rms_att l0, rms_ffn l0, rms_att l1, rms_ffn l1, rms_final).
gainIndex :: DecState -> Unsigned 3
gainIndex s = if normK s == 2 then 4 else resize (layer s) * 2 + resize (normK s)

-- | Shared ROM row address of a state (what its memories must deliver).
romAddr :: DecState -> Mac -> Unsigned 7
romAddr s m = case phase s of
  Embed -> resize (tok s)
  NormApply -> resize (min (i s) 63)
  MvRun -> resize (macRow m)
  _ -> 0

kvAddr :: DecState -> Unsigned 6
kvAddr s = kvBase (layer s) (shiftR (h s) 1) + resize (t s)

-- | Element of the head being packed that the state reads (both passes: element i at
-- i = 0..15, element i - 18 at i = 18..33).
packIndex :: DecState -> Unsigned 7
packIndex s = resize (h s) * 16 + resize ((if i s < 16 then i s else i s - 2) .&. 15)

-- | Scratch read addresses of a state: (x, vin, y, hid, rot).
scratchAddr :: DecState -> Mac -> (Unsigned 6, Unsigned 7, Unsigned 7, Unsigned 7, Unsigned 7)
scratchAddr s m = (resize (i s), vinA, yA, hidA, rotA)
  where
    -- 'SiluDiv' forms the next element's denominator: its hid element, one ahead; and
    -- gates the element before: its y element, one behind (as 'SiluQuant' the last).
    hidA = if phase s == SiluDiv then resize (i s + 1) else resize (i s)
    e = resize (shiftR (i s) 1) :: Unsigned 7
    vinA = if phase s == MvRun then resize (macCol m) else 0
    yA = case phase s of
      Rope -> if testBit (i s) 0 then e else e `xor` 1
      Pack -> packIndex s
      SiluDiv -> resize (i s - 1)
      SiluQuant -> resize (i s - 1)
      _ -> resize (i s)
    rotA = if packKind s == PackK then 64 + packIndex s else packIndex s

-- | A head's pack, pass two: the shift under the head's exponent as 'quantShift' shifts
-- (a right shift by k >= 1 done by k - 1) and whether it rounds, formed once per head,
packAmt :: ExpS -> (ShsatAmt, Bool)
packAmt xe = (ShsatAmt (q >= 0) by, k /= 0)
  where
    q = resize xe + 20 :: Sh
    k = shAmt q
    by | q >= 0 = if k == 0 then 0 else k - 1
       | otherwise = shAmt (negate q)
{-# NOINLINE packAmt #-}

-- | an element shifted by it (@fst (quantShift xe x)@),
packShift :: ShsatAmt -> F -> Wide
packShift a x
  | saRight a = shiftR xw (fromIntegral (saBy a))
  | otherwise = shiftL xw (fromIntegral (saBy a))
  where
    xw = resize x :: Wide
{-# NOINLINE packShift #-}

-- | then rounded and saturated: with the shift, @quantElem xe x@.
packRound :: Bool -> Wide -> Act
packRound r y = macQuantRound r y
{-# NOINLINE packRound #-}

-- | MAC stage A: the weight byte of the ROM row at the column, and the row's shift
-- (applied to its sum) from the row exponent @we@ and the input's exponent.
macSelect :: WeightRow -> Unsigned 8 -> ExpS -> ExpS -> (Act, Sh)
macSelect w c we xe = (weightAt w c, negate (resize we + resize xe + 20))
{-# NOINLINE macSelect #-}

-- | "LlamaDv.Numerics"' shift amount of 'rshr' (not exported there): max 0 (min s 62).
shAmt :: Sh -> Unsigned 6
shAmt s
  | s <= 0 = 0
  | s >= 62 = 62
  | otherwise = unpack (truncateB (pack s))

-- | MAC stage Q: the input element shifted as 'quantElem' shifts it under the input's
-- exponent, with its rounding left for the next clock (whether to round: a right shift
-- by k >= 1, done here by k - 1, as in 'shsatShift'); the shift amount of the row.
macQuant :: ExpS -> F -> Sh -> (Wide, Bool, ShsatAmt)
macQuant xe x sh = (y, r, shsatAmt sh)
  where
    (y, r) = quantShift xe x
{-# NOINLINE macQuant #-}

-- | 'quantElem' in two halves, for a register between them: the shift of @x@ under the
-- exponent @xe@ (a right shift by k >= 1 done by k - 1, and whether to round),
quantShift :: ExpS -> F -> (Wide, Bool)
quantShift xe x = (y, k /= 0)
  where
    q = resize xe + 20 :: Sh
    k = shAmt q
    xw = resize x :: Wide
    y | q >= 0 = if k == 0 then xw else xw `shiftR` fromIntegral (k - 1)
      | otherwise = shiftL xw (fromIntegral (shAmt (negate q)))

-- | MAC stage B: the rounding ((y + 1) >> 1 after a shift by k - 1 is (x + 2^(k-1)) >> k,
-- 'rshr') and saturation: with the stage before, @quantElem xe x@.
macQuantRound :: Bool -> Wide -> Act
macQuantRound r y = sat8 (if r then (y + 1) `shiftR` 1 else y)
{-# NOINLINE macQuantRound #-}

-- | MAC stage C: weight times input mantissa.
macStep :: Act -> Act -> Signed 16
macStep w x = (resize w :: Signed 16) * resize x
{-# NOINLINE macStep #-}

-- | MAC stage D: the accumulation (a row's first product replaces the sum).
macAdd :: Bool -> Bool -> Signed 32 -> Signed 16 -> Signed 32
macAdd valid first acc p
  | valid = (if first then 0 else acc) + resize p
  | otherwise = acc
{-# NOINLINE macAdd #-}

-- | MAC stage E: a row's sum barrel-shifted,
macShift :: Signed 32 -> ShsatAmt -> Wide
macShift acc a = shsatShift (resize acc) a
{-# NOINLINE macShift #-}

-- | then rounded and saturated: with the stages before, @shsat sum sh@.
macRound :: ShsatAmt -> Wide -> F
macRound a v = sat32 (shsatRound a v)
{-# NOINLINE macRound #-}

-- | The matvec engine's next registers while the FSM is in 'MvRun' (cleared otherwise,
-- so every matvec starts at row 0, column 0): the counters walk column by column, row by
-- row, and stop at the last element; the stages take the element the memories deliver
-- for the current counters (weight row @w@, input element @x@, row exponent @we@).
mvNext :: DecState -> Mac -> WeightRow -> F -> ExpS -> Mac
mvNext s m w x we
  | phase s /= MvRun = mac0
  | otherwise = m
      { macCol = col', macRow = row', macDone = macDone m || lastAll
      , mA = MacTag feeding (macCol m == 0) lastCol (macRow m), mAW = wA, mAX = x, mASh = shA
      , mQ = mA m, mQW = mAW m, mQY = xy, mQR = xr, mQAmt = amt
      , mB = mQ m, mBW = mQW m, mBX = macQuantRound (mQR m) (mQY m), mBAmt = mQAmt m
      , mC = mB m, mCP = macStep (mBW m) (mBX m), mCAmt = mBAmt m
      , macAcc = macAdd (tValid (mC m)) (tFirst (mC m)) (macAcc m) (mCP m)
      , mD = (mC m) { tValid = tValid (mC m) && tLast (mC m) }, mDAmt = mCAmt m
      , mE = mD m, mEAmt = mDAmt m, mEV = macShift (macAcc m) (mDAmt m)
      }
  where
    feeding = not (macDone m)
    lastCol = macCol m == nCols s - 1
    lastAll = feeding && lastCol && macRow m == nRows s - 1
    (col', row')
      | not feeding || lastAll = (macCol m, macRow m)
      | lastCol = (0, macRow m + 1)
      | otherwise = (macCol m + 1, macRow m)
    (wA, shA) = macSelect w (macCol m) we (xeR s)
    (xy, xr, amt) = macQuant (xeR s) (mAX m) (mASh m)

-- | One clock of the FSM: the matvec engine's registers, inputs (in_valid, in_token,
-- in_pos, out_ready), the element 'Embed' loads into the residual (the embedding's, in
-- the decoder), the gain the memories deliver for this state, the KV row and the
-- scratch read data; result: next state, the KV write and the scratch writes.
step
  :: DecoderFault
  -> DecState -> Mac
  -> (Bool, Unsigned 6, Unsigned 4, Bool)
  -> F -> F -> KvRow 16
  -> ScratchRd
  -> (DecState, Maybe (Unsigned 6, KvRow 16), ScratchWr)
step fault sIn m (iv, itok, ipos, ordy) xIn g kv rd = case phase s of
  Idle | iv -> only (startEmbed 0 ipos s { tok = itok, layer = 0 })
       | otherwise -> only s
  Embed ->
    let next = if lastOf 63 then startNorm (normK s) s else step1
    in (next, Nothing, noWrites { wrX = Just (resize (i s), xIn) })
  NormSs ->
    let ss' = sumSquare (ssR s) (rdX rd)
    in only (if lastOf 63 then s { ssR = ss', phase = NormInv, i = 0 } else step1 { ssR = ss' })
  NormInv -> only $ case i s of
    0 -> step1 { ssR = resize (normInvArg (ssR s)) }
    1 -> let (mr, y0, sh) = normInv (resize (ssR s)) in step1 { ssR = mr, rinvR = resize y0, isqSh = resize sh }
    2 -> step1 { sT = normInvSquare (rinvR s) }
    3 -> step1 { sS = mulSum (sT s) }
    4 -> step1 { isqT = normInvShr (sS s) }
    5 -> step1 { sT = normInvTerm (ssR s) (isqT s) }
    6 -> step1 { sS = mulSum (sT s) }
    7 -> step1 { isqT = normInvNewton (sS s) }
    8 -> step1 { sT = normInvStep (rinvR s) (isqT s) }
    9 -> step1 { ssR = mulSum (sT s) }
    10 -> let (q, a) = normInvHalf (ssR s) (resize (isqSh s)) in step1 { ssR = q, isqA = a }
    11 -> step1 { ssR = normInvShift (ssR s) (isqA s) }
    _ -> startVin NormApply s { rinvR = normInvFinish (isqA s) (ssR s) }
  -- Eight stages per element: x and its gain registered from the memories, the tiles of
  -- x * rinv, their sum, its rounding (the gain three clocks behind, 'nG'), the tiles of
  -- the product with the gain, their sum, its rounding, the write; element i enters at
  -- i = 0..63, and is written at i + 7.
  NormApply ->
    let o = nO s
        valid = i s >= 7
        s1 = (if lastOf 70 then s { phase = NormQuant, i = 0 } else step1)
               { nX = rdX rd, nG = nG s <<+ g, nT = normScale (nX s) (rinvR s), nS = mulSum (nT s)
               , nP = mulRound (nS s), nTg = normGain (nP s) (head (nG s)), nSg = mulSum (nTg s)
               , nO = mulRound (nSg s)
               , absR = if valid then vinAbs o else absR s, vinMax = max (vinMax s) (absR s) }
    in (s1, Nothing, if valid then noWrites { wrVin = Just (resize (i s - 7), o) } else noWrites)
  NormQuant -> vinQuant (case normK s of { 0 -> 0; 1 -> 4; _ -> 7 })
  MvRun ->
    let e = mE m
        out = Just (resize (tRow e), macRound (mEAmt m) (mEV m))
        wr | not (tValid e) = noWrites
           | mat s == 4 = noWrites { wrHid = out }
           | otherwise = noWrites { wrY = out }
    in (if tValid e && tRow e == nRows s - 1 then s { phase = MvPost } else s, Nothing, wr)
  MvPost -> only $ case mat s of
    0 -> s { phase = Rope, i = 0 }
    1 -> s { phase = Rope, i = 0 }
    2 -> startPack PackK 0 s
    4 -> startMv 6 s
    6 -> startVin Silu s
    7 -> s { phase = Scan, i = 0 }
    _ -> s { phase = Resid, i = 0 }
  -- Two clocks per element e: i = 2e reads its partner and looks up cos and sin, i = 2e + 1
  -- the element and forms the products' tiles; the next clock (i = 2e + 2) sums them, the
  -- one after (i = 2e + 3) writes the element. The last write ends the loop.
  Rope ->
    let e = resize (shiftR (i s) 1) :: Unsigned 7
        ep = e - 1
        base = if mat s == 0 then 0 else 64
        n = if mat s == 0 then 128 else 64
        (cs, sn) = ropeTable (pos s) (resize e)
        s1 | lastOf (n + 1) = startMv (mat s + 1) s
           | testBit (i s) 0 = step1 { ropeT = ropeMul (rdY rd) (resize (ropeCs s)) :> ropeMul (partner s) (resize (ropeSn s)) :> Nil }
           | otherwise = step1 { partner = rdY rd, ropeCs = cs, ropeSn = sn
                               , ropeA = mulSum (head (ropeT s)), ropeB = mulSum (last (ropeT s)) }
        wr = noWrites { wrRot = Just (base + ep, ropeFin (testBit ep 0) (ropeA s) (ropeB s)) }
    in (s1, Nothing, if testBit (i s) 0 && i s /= 1 then wr else noWrites)
  -- Pass one reads element i at i = 0..15, its magnitude is registered ('packA') and
  -- enters the maximum a clock later (i = 1..16); the exponent at i = 17, the shift
  -- amount under it at i = 18. Pass two reads element i - 18 at i = 18..33 ('packD'),
  -- shifts it a clock later (i = 19..34, 'packShift') and rounds and saturates it into
  -- the head the clock after (i = 20..35, 'packRound'); the last one ends the pack.
  -- (The maximum keeps taking the head's own elements after i = 16: no change.)
  Pack ->
    let d = case packKind s of { PackQ -> rdRot rd; PackK -> rdRot rd; PackV -> rdY rd }
        pm' = pm s <<+ packRound (packR s) (packY s)
        (am, r) = packAmt (pe s)
        st = step1 { packA = packAbs d, packD = d, packY = packShift (packAm s) (packD s)
                   , packMax = if i s == 1 then packA s else max (packMax s) (packA s) }
    in case i s of
         17 -> only st { pe = packExp (packMax s) }
         18 -> only st { packAm = am, packR = r }
         35 -> packed s pm'
         n | n >= 20 -> only st { pm = pm' }
           | otherwise -> only st
  AttRun -> only (attStep (fault /= SkipRescale) s kv)
  AttRcp -> only s { phase = AttDiv, rcp = recipStart (sDen (soft s)) }
  -- The unit's last two quotient bits are formed in the cycle its count is 1.
  AttDiv -> only (if rcN (rcp sIn) == 1 then s { phase = AttFin } else s)
  -- One lane per clock, through the accumulator as a shift register: at i = 0..15 the
  -- product tiles of lane i (at the head), at i = 1..16 their sum, at i = 2..17 its
  -- rounding, shifted in at the tail, at i = 3..18 the write of the lane rounded the
  -- clock before (the last) and its magnitude. After 18 shifts (i = 18) the accumulator
  -- holds the normalised head, which 'attOut' shows.
  AttFin ->
    let acc = sAcc (soft s)
        o = last acc
        valid = i s >= 3
        s1 | lastOf 18 = if h s == 3 then s { phase = AttQuant, i = 0 } else startPack PackQ (h s + 1) s
           | otherwise = step1 { finT = attFinMul (recipOut (rcp s)) (head acc), finP = mulSum (finT s)
                               , soft = (soft s) { sAcc = acc <<+ attFinRound (finP s) } }
    in ( s1 { absR = if valid then vinAbs o else absR s, vinMax = max (vinMax s) (absR s) }, Nothing
       , if valid then noWrites { wrVin = Just (resize (h s) * 16 + resize (i s - 3), o) } else noWrites )
  AttQuant -> vinQuant 3
  Resid ->
    let x' = addF (rdX rd) (rdY rd)
        s1 | not (lastOf 63) = step1
           | mat s == 3 = startNorm 1 s
           | layer s == 1 = startNorm 2 s
           | otherwise = startNorm 0 s { layer = 1 }
    in (s1, Nothing, noWrites { wrX = Just (resize (i s), x') })
  -- The first element's denominator in its stages, then its division.
  Silu | aStep s < snatToNum (SNat @SiluExpClocks) -> only siluExp
       | otherwise -> only (siluStart s)
  -- While element i divides, the denominator of element i + 1 (which the hid RAM
  -- delivers in 'SiluDiv') goes through its stages, and element i - 1 is gated and
  -- written ('siluGatePipe'). When the quotient is there, it is registered with its x
  -- and the next element's division starts (after the last element, 'SiluQuant' gates
  -- and writes it).
  SiluDiv
    | rcN (rcp sIn) /= 0 ->
        siluGatePipe (i s /= 0) (if aStep s < snatToNum (SNat @SiluExpClocks) then siluExp else s)
    | otherwise ->
        let st = s { sS = recipOut (rcp sIn), partner = sX s }
        in only (if lastOf 127 then st { phase = SiluQuant, i = 128, aStep = 0 } else siluStart st { i = i s + 1 })
  -- The last element's gate and write (aStep 0..6), its magnitude into the maximum (7),
  -- the exponent (8).
  SiluQuant
    | aStep s == 8 -> only (startMv 5 s { xeR = vinExp (vinMax s) })
    | otherwise -> siluGatePipe True s { aStep = aStep s + 1 }
  Scan ->
    let l = rdY rd
        s1 = if i s == 0 || l > best s then step1 { best = l, bestIx = resize (i s) } else step1
    in only (if lastOf 63 then s1 { phase = Hold } else s1)
  Hold | ordy -> only s { phase = Idle }
       | otherwise -> only s
  where
    -- The reciprocal unit advances on every clock (it holds when idle); a state that
    -- starts a division replaces it.
    s = sIn { rcp = recipNext (rcp sIn) }
    -- The next stage of the SiLU denominator of the element the hid RAM delivers.
    siluExp = s { sExp = siluPipe (aStep s) (rdHid rd) (sExp s), aStep = aStep s + 1
                , sXn = if aStep s == 0 then rdHid rd else sXn s }
    -- The division of the element whose denominator is finished.
    siluStart st = st { phase = SiluDiv, rcp = recipStartLarge (resize (epX (sExp st))), sX = sXn st, aStep = 0 }
    step1 = s { i = i s + 1 }
    lastOf n = i s == n
    only st = (st, Nothing, noWrites)
    -- The matvec input's exponent: the last magnitude enters the maximum at i = 0, the
    -- exponent is formed from the registered maximum at i = 1.
    vinQuant k
      | i s == 0 = only step1 { vinMax = max (vinMax s) (absR s) }
      | otherwise = only (startMv k s { xeR = vinExp (vinMax s) })
    -- SwiGLU of element i - 1 in the clocks of the next division (aStep 0..6, from its
    -- x in 'partner' and its sigmoid in 'sS', registered when its quotient came): the
    -- tiles of x * sigmoid(x), their sum (and the y element), x * sigmoid(x) rounded,
    -- the gate's tiles, their sum, the gated element rounded, its write and magnitude;
    -- 'st' is the state the clock goes to otherwise.
    siluGatePipe valid st
      | not valid = only st'
      | otherwise = case aStep s of
          0 -> only st' { sT = siluMul (partner s) (resize (sS s)) }
          1 -> only st' { sS = mulSum (sT s), sY = rdY rd }
          2 -> only st' { partner = mulRound (sS s) }
          3 -> only st' { sT = siluMul (partner s) (sY s) }
          4 -> only st' { sS = mulSum (sT s) }
          5 -> only st' { sO = mulRound (sS s) }
          6 -> (st' { absR = vinAbs (sO s) }, Nothing, noWrites { wrVin = Just (resize (i s - 1), sO s) })
          _ -> only st'
      where
        st' = st { vinMax = max (vinMax s) (absR s) }
    -- The last cycle of a pack: a query head starts attention; a key head waits for
    -- its value head; a value head completes the KV row.
    packed st mant = case packKind st of
      PackQ -> only s { phase = AttRun, pm = mant, t = 0, upd = 0, i = 0, aStep = 0 }
      PackK -> only (startPack PackV (h st) s { kmR = mant, keR = pe st })
      PackV ->
        let row = resize (pos st) + (if fault == KvWrongRow then 1 else 0)
            wr = Just (kvBase (layer st) (h st) + row, (kmR st, keR st, mant, pe st))
            nxt | h st == 1 = startPack PackQ 0 s { vinMax = 0, absR = 0 }
                | otherwise = startPack PackK 1 s
        in (nxt, wr, noWrites)

s0 :: DecState
s0 = DecState Idle 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 PackQ 0 (repeat 0) 0 (repeat 0) 0 0 0
              (Soft 0 0 (repeat 0)) 0 0 0 recipIdle
              0 (repeat 0) 0 amt0 0 (expIn 0) (expIn 0) 0 (repeat 0) (repeat 0)
              amt0 0 (repeat 0) 0 (expIn 0) 0 0 0 0 0 0 0 0
              0 0 amt0 False 0 (repeat 0) 0 0 0
              0 (repeat 0) 0 (repeat 0) 0 (repeat (repeat 0)) (repeat 0)

-- | The head the state has normalised, on the last cycle of its 'AttFin' (the
-- accumulator register then holds the output row).
attOut :: DecState -> Maybe AttOut
attOut s
  | phase s == AttFin && i s == 18 = Just (layer s, h s, upd s, sAcc (soft s))
  | otherwise = Nothing

-- | The element of the embedding row @(m, e)@ that 'Embed' loads.
embedElem :: DecState -> (Vec Dim Act, ExpS) -> F
embedElem s (m, e) = toF (m !! i s) e

-- | The logits as the scan reads them: shifted in one per 'Scan' cycle, so the
-- register holds all of them, in order, from the end of the scan until the next one.
logitShift :: DecState -> F -> Vec Dim F -> Vec Dim F
logitShift s l v = if phase s == Scan then v <<+ l else v

-- | The state held in one register per field, so that a field's logic depends on the
-- fields it reads rather than on the whole record.
stateRegisters :: forall dom . HiddenClockResetEnable dom => Signal dom DecState -> Signal dom DecState
stateRegisters nxt =
  DecState <$> reg phase
    <*> reg layer
    <*> reg pos
    <*> reg tok
    <*> reg i
    <*> reg normK
    <*> reg ssR
    <*> reg isqT
    <*> reg isqSh
    <*> reg rinvR
    <*> reg vinMax
    <*> reg xeR
    <*> reg mat
    <*> reg nRows
    <*> reg nCols
    <*> reg partner
    <*> reg packKind
    <*> reg packMax
    <*> reg pm
    <*> reg pe
    <*> reg kmR
    <*> reg keR
    <*> reg h
    <*> reg t
    <*> reg soft
    <*> reg upd
    <*> reg best
    <*> reg bestIx
    <*> reg rcp
    <*> reg aStep
    <*> reg aProd
    <*> reg aSc
    <*> reg aAmt
    <*> reg aSh
    <*> reg expA
    <*> reg expB
    <*> reg aDen
    <*> reg aAcc
    <*> reg aVt
    <*> reg isqA
    <*> reg nP
    <*> reg nG
    <*> reg nO
    <*> reg sExp
    <*> reg sX
    <*> reg sXn
    <*> reg ropeA
    <*> reg ropeB
    <*> reg ropeCs
    <*> reg ropeSn
    <*> reg finP
    <*> reg packY
    <*> reg packA
    <*> reg packD
    <*> reg packAm
    <*> reg packR
    <*> reg absR
    <*> reg sT
    <*> reg sS
    <*> reg sY
    <*> reg sO
    <*> reg nX
    <*> reg nT
    <*> reg nS
    <*> reg nTg
    <*> reg nSg
    <*> reg ropeT
    <*> reg finT
  where
    reg :: forall a . NFDataX a => (DecState -> a) -> Signal dom a
    reg field = register (field s0) (field <$> nxt)

-- | The scratch RAMs of one FSM, read at the addresses of its next state @nxt@ and
-- next matvec counters @macN@.
scratch :: HiddenClockResetEnable dom => Signal dom DecState -> Signal dom Mac -> Signal dom ScratchWr -> Signal dom ScratchRd
scratch nxt macN wr = ScratchRd <$> ram d64 ax (wrX <$> wr) <*> ram d128 av (wrVin <$> wr)
  <*> ram d128 ay (wrY <$> wr) <*> ram d128 ah (wrHid <$> wr) <*> ram d128 ar (wrRot <$> wr)
  where
    (ax, av, ay, ah, ar) = unbundle (scratchAddr <$> nxt <*> macN)
    ram :: (HiddenClockResetEnable dom, KnownNat n, KnownNat a) => SNat n -> Signal dom (Unsigned a) -> Signal dom (Maybe (Unsigned a, F)) -> Signal dom F
    ram n = blockRam (replicate n 0)

-- | The matvec engine around an FSM's state @st@: its registers, and their next
-- values from the weight row @w@, the row exponent @we@ and the scratch reads @rd@.
-- Returns (registers, next registers).
macRegisters
  :: HiddenClockResetEnable dom
  => Signal dom DecState -> Signal dom WeightRow -> Signal dom ExpS -> Signal dom ScratchRd
  -> (Signal dom Mac, Signal dom Mac)
macRegisters st w we rd = (m, macN)
  where
    m = register mac0 macN
    macN = mvNext <$> st <*> m <*> w <*> (rdVin <$> rd) <*> we

-- | The row of the matrix ROM the state's matrix index @ix@ picks, from ROMs read at
-- @addr@ when the next state @nxt@ multiplies with them (and only then).
readMatrix
  :: (KnownNat n, NFDataX a)
  => (DecState -> Unsigned 4) -> Signal dom DecState -> Signal dom DecState -> Signal dom (Unsigned 7)
  -> Vec n (RomRead dom -> Signal dom a) -> Signal dom a
readMatrix ix st nxt addr roms = (!!) <$> bundle (imap rd roms) <*> (ix <$> st)
  where
    rd k rom = rom ((\s -> phase s == MvRun && ix s == fromIntegral k) <$> nxt, addr)

-- | Cycles of the current token: 1 on the request's accepting edge, then one per busy
-- cycle; held in 'Idle' and 'Hold'.
countCycles :: DecoderFault -> DecState -> DecState -> Unsigned 32 -> Unsigned 32
countCycles fault s s' n = case phase s of
  Idle -> if phase s' == Idle then n else 1
  Hold -> n
  Scan | fault == MiscountCycles -> n
  _ -> n + 1

-- | The KV cache: one block RAM of 'KvRows' rows, a component of its own (instance
-- @kv_cache@) so a testbench can read its rows by a stable hierarchical name.
kvCache
  :: HiddenClockResetEnable dom
  => Signal dom (Unsigned 6) -> Signal dom (Maybe (Unsigned 6, KvRow 16)) -> Signal dom (KvRow 16)
kvCache = blockRam (replicate (SNat @KvRows) (repeat 0, 0, repeat 0, 0))
{-# NOINLINE kvCache #-}

-- | The decoder around memory readers: @embedRom@, @gainRoms@ (5), @wRoms@ / @eRoms@
-- (15 each: 2 layers x 7 matrices, then the classifier) all read the shared row
-- address with one cycle of latency, each when its enable says. Outputs: (in_ready,
-- out_valid, token, logits, cycles of the last finished token, KV write, finished
-- attention head).
decoder
  :: HiddenClockResetEnable dom
  => DecoderFault
  -> (RomRead dom -> Signal dom (Vec Dim Act, ExpS))
  -> Vec 5 (RomRead dom -> Signal dom F)
  -> Vec 15 (RomRead dom -> Signal dom WeightRow)
  -> Vec 15 (RomRead dom -> Signal dom ExpS)
  -> Signal dom Bool -> Signal dom (Unsigned 6) -> Signal dom (Unsigned 4) -> Signal dom Bool
  -> ( Signal dom Bool, Signal dom Bool, Signal dom (Unsigned 6), Signal dom (Vec Dim F)
     , Signal dom (Unsigned 32), Signal dom (Maybe (Unsigned 6, KvRow 16))
     , Signal dom (Maybe AttOut) )
decoder fault embedRom gainRoms wRoms eRoms inValid inTok inPos outReady =
  (inReady, outValid, token, logits, cycles, kvWr, attOut <$> st)
  where
    st = stateRegisters nxt
    (mac, macN) = macRegisters st wSel eSel rd
    res = step fault <$> st <*> mac <*> bundle (inValid, inTok, inPos, outReady)
               <*> (embedElem <$> st <*> embedRom (isPhase Embed, addr)) <*> gSel <*> kvRow <*> rd
    (nxt, kvWr, wr) = unbundle res
    rd = scratch nxt macN wr
    addr = romAddr <$> nxt <*> macN
    isPhase p = (\s -> phase s == p) <$> nxt
    kvRow = setName @"kv_cache" kvCache (kvAddr <$> nxt) kvWr
    gSel = (!!) <$> bundle (map (\rom -> rom (isPhase NormApply, addr)) gainRoms) <*> (gainIndex <$> st)
    wSel = readMatrix matrixIndex st nxt addr wRoms
    eSel = readMatrix matrixIndex st nxt addr eRoms
    inReady = (\s -> phase s == Idle) <$> st
    outValid = (\s -> phase s == Hold) <$> st
    token = bestIx <$> st
    logits = register (repeat 0) (logitShift <$> st <*> (rdY <$> rd) <*> logits)
    cycNext = countCycles fault <$> st <*> nxt <*> cyc
    cyc = register 0 cycNext
    cycles = regEn 0 (isPhase Hold) cycNext
