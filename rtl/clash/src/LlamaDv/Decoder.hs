-- | The autoregressive SMALL decoder: one token per request, every
-- matrix-vector product on one shared multiplier (weights row-packed in ROM files
-- written by models/export.py), attention over a block-RAM KV cache with the online
-- softmax of "LlamaDv.Attention", and a sequential argmax over the logits.
--
-- The whole step is one sequential FSM over narrow registers. Every vector (residual,
-- matvec input and outputs, rotated Q and K) lives in a small scratch RAM and is
-- touched one element per cycle. What changes on every clock of a matvec (its column,
-- row and accumulator; the cycle counter) is registered apart from the FSM state, and
-- each ROM is read only when its row is needed: during the 90 % of a token spent in
-- matvecs the FSM state and the ROM outputs hold still, which keeps event-driven
-- simulation fast. Memory read addresses are a function of the next state, so the
-- one-cycle-latency memories deliver what the current state needs.
--
-- Quantising a vector needs the largest magnitude before the first mantissa: the
-- writer of the matvec input tracks it as it writes ('vinMax'), and the 16-element
-- head packs (query, key, value) make two passes over their source.
--
-- Besides its KV writes, the decoder shows each head's attention result as it is
-- finished ('AttOut'), so a testbench can name the layer and head where a result first
-- departs from the golden. 'DecoderFault' builds deliberately broken copies for the
-- negative tests; the real decoder is @decoder NoFault@.
module LlamaDv.Decoder
  ( Dim, HiddenDim, Vocab, KvRows, DecPhase (..), DecState (..), WeightRow, RomRead
  , DecoderFault (..), AttOut, ScratchRd (..), ScratchWr (..), Mac (..)
  , decoder, matrixShape, ropeV
    -- * Pieces the prefill pipeline ("LlamaDv.Prefill") reuses per stage
  , step, s0, startEmbed, romAddr, kvAddr, scratch, noWrites, attOut, logitShift, embedElem
  , macRegisters, readMatrix, stateRegisters, finOf
  ) where

import Clash.Prelude
import LlamaDv.Attention (KvRow, Soft (..), softFinishWith)
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
-- per element (partner, then element) and 'Pack' two passes of 16 (max, mantissas).
-- The divisions run on the sequential reciprocal unit ('Recip', two quotient bits per
-- clock): 'AttRcp' starts 1/denominator of a head and 'AttDiv' waits for it (21
-- clocks); 'Silu' starts the first sigmoid's 1/(1 + exp(-x)), then per element
-- 'SiluDiv' waits for it (11 clocks) and forms x * sigmoid, and 'SiluOut' writes the
-- gated element and starts the next element's division. 'NormInv' takes four clocks
-- (counter @i@): the seed of 1/sqrt, then one multiplication of its Newton step each.
-- 'AttRun' takes 'AttClocks' clocks per KV row (sub-step counter 'aStep', see 'attStep'
-- below): the online softmax carries its state from row to row, so a row's stages run
-- one after the other, with their intermediate values in registers.
data DecPhase
  = Idle | Embed | NormSs | NormInv | NormApply | NormQuant
  | MvRun | MvPost | Rope | Pack | AttRun | AttRcp | AttDiv | AttFin | AttQuant
  | Resid | Silu | SiluDiv | SiluOut | SiluQuant | Scan | Hold
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
  , isqT :: F                -- ^ 'NormInv': the seed squared, then times the mantissa
  , isqSh :: Signed 6        -- ^ 'NormInv': the even shift (-18..10)
  , rinvR :: F               -- ^ 1/rms; in 'NormInv' the LUT seed
  , vinMax :: Unsigned 32    -- ^ largest magnitude written to the matvec input so far
  , xeR :: ExpS              -- ^ exponent of the matvec input
  , mat :: Unsigned 3        -- ^ 0..6 Wq Wk Wv Wo W1 W2 W3, 7 classifier
  , nRows :: Unsigned 8
  , nCols :: Unsigned 8
  , partner :: F             -- ^ RoPE: the other element of the pair; SiLU: x * sigmoid(x)
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
  , aStep :: Unsigned 4      -- ^ 'AttRun': the stage of the current KV row (0 .. AttClocks - 1)
  , aProd :: Vec 16 (Signed 16) -- ^ 'AttRun': the score's 16 products
  , aSc :: F                 -- ^ 'AttRun': the score's dot product, shifted, then scaled
  , expA :: ExpPipe          -- ^ 'AttRun': expF of (old max - new max), the rescale factor a
  , expB :: ExpPipe          -- ^ 'AttRun': expF of (score - new max), the row's weight b
  , aDen :: Wide             -- ^ 'AttRun': den * a, then rounded
  , aAcc :: Vec 16 Wide      -- ^ 'AttRun': acc * a, then rounded
  , aVt :: Vec 16 Wide       -- ^ 'AttRun': v * b, then shifted (vterm)
  } deriving (Generic, NFDataX, Show)

-- | The matvec engine's counters and accumulator, registered apart from 'DecState':
-- they change every cycle of a matvec, and the FSM state then does not change at all.
data Mac = Mac { macCol :: Unsigned 8, macRow :: Unsigned 8, macAcc :: Signed 32 }
  deriving (Generic, NFDataX, Show)

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

-- | Element @e@ of a rotated vector from its own value and its pair partner's.
ropeElem :: Unsigned 4 -> Unsigned 8 -> F -> F -> F
ropeElem p e self other
  | testBit e 0 = snd (ropePair p (shiftR e 1) other self)
  | otherwise = fst (ropePair p (shiftR e 1) self other)
{-# NOINLINE ropeElem #-}

-- | -x for an F raw; -(-2^31) would wrap, and expF saturates identically at 2^31 - 1.
negF :: F -> F
negF x = if x == minBound then maxBound else negate x

addF :: F -> F -> F
addF a b = sat32 (resize a + resize b)

-- The arithmetic of each FSM state is a NOINLINE function, so Clash makes it a
-- component of its own. Clash 1.6.4's disjoint-expression consolidation otherwise
-- shares one multiplier between the alternatives of the state case, and where an
-- alternative chains two products (x * rinv * gain, the SiLU gate) it fed that
-- multiplier's output back into its own input: a combinational loop in the Verilog
-- (Verilator UNOPTFLAT) that computed wrong values while Clash's own simulation was
-- right (docs/clash.md).

-- | Running sum of squares of RMSNorm.
sumSquare :: Wide -> F -> Wide
sumSquare ss x = ss + rshr (resize x * resize x) 20
{-# NOINLINE sumSquare #-}

-- | 1/sqrt(mean square + eps) from the sum of squares of 64 elements, in the stages of
-- 'invsqrtF' (one clock each): the seed (mantissa mr, LUT seed y0, shift sh),
normInv :: Wide -> (Wide, Wide, Sh)
normInv ss = invsqrtSeed (sat32 (min (shiftR ss 6) 2147483647 + 10))
{-# NOINLINE normInv #-}

-- | the seed squared,
normInvSquare :: Wide -> Wide
normInvSquare = invsqrtSquare
{-# NOINLINE normInvSquare #-}

-- | times the mantissa,
normInvTerm :: Wide -> Wide -> Wide
normInvTerm = invsqrtTerm
{-# NOINLINE normInvTerm #-}

-- | and the Newton-Raphson step.
normInvFinish :: Wide -> Wide -> Sh -> F
normInvFinish = invsqrtFinish
{-# NOINLINE normInvFinish #-}

-- | One RMSNorm output element: x * rinv * gain.
normScale :: F -> F -> F -> F
normScale x rinv g = mulF (resize (mulF (resize x) (resize rinv))) (resize g)
{-# NOINLINE normScale #-}

-- | The sigmoid's denominator 1 + exp(-x) of silu(x) = x / (1 + exp(-x)): at least
-- one (2^20), as 'recipStartLarge' needs.
siluDen :: F -> F
siluDen x = sat32 (one + resize (expF (negF x)))
{-# NOINLINE siluDen #-}

-- | silu(x) = x * sigmoid(x) from the reciprocal of 'siluDen' x.
siluMul :: F -> Wide -> F
siluMul x sig = mulF (resize x) sig
{-# NOINLINE siluMul #-}

-- | One SwiGLU element: silu(w1 x) * (w3 x).
siluGate :: F -> F -> F
siluGate sx y = mulF (resize sx) (resize y)
{-# NOINLINE siluGate #-}

-- | One multiply-accumulate of the shared matvec engine: weight times the input
-- element quantised under the input's exponent.
macStep :: Signed 32 -> Act -> ExpS -> F -> Signed 32
macStep a w xe x = a + resize ((resize w :: Signed 16) * resize (quantElem xe x))
{-# NOINLINE macStep #-}

-- | "LlamaDv.Numerics".'expF' in stages, one multiplication, table lookup or wide
-- addition each, for the attention step to register between them:
-- @expFinish . expInterp . expMul . expLookup . expSplit . expArg == expF@, step for step
-- the same operations (a one-off comparison on all of -2^22..2^22 and 3 million random
-- arguments found no difference). Written out here, not as 'expF''s definition: a change
-- of "LlamaDv.Numerics" changes the Verilog, or at least the manifest hash, of every top
-- built on it. An expF in progress: the shift n, table index i, remainder r,
-- table entry lo, and the value of the current stage ('epX').
data ExpPipe = ExpPipe { epN :: Sh, epI :: Unsigned 9, epR :: Wide, epLo :: Wide, epX :: Wide }
  deriving (Generic, NFDataX, Show, Eq)

-- | x * log2(e),
expArg :: F -> Wide
expArg x = resize x * log2e

-- | t = rshr (x * log2e) 20 as the shift n = t >> 20, the index i and the remainder r of
-- f = t mod 2^20,
expSplit :: Wide -> ExpPipe
expSplit p = ExpPipe n i r 0 0
  where
    t = rshr p 20
    n = resize (shiftR t 20) :: Sh
    f = t .&. 1048575
    i = unpack (truncateB (pack (shiftR f 12))) :: Unsigned 9
    r = f .&. 4095

-- | the table entries: lo = LUT[i], and hi - lo (hi = LUT[i + 1]),
expLookup :: ExpPipe -> ExpPipe
expLookup e = e { epLo = lo, epX = hi - lo }
  where
    lo = resize (exp2Lut !! epI e) :: Wide
    hi = resize (exp2Lut !! (epI e + 1)) :: Wide

-- | (hi - lo) * r,
expMul :: ExpPipe -> ExpPipe
expMul e = e { epX = epX e * epR e }

-- | b = lo + rshr ((hi - lo) * r) 12,
expInterp :: ExpPipe -> ExpPipe
expInterp e = e { epX = epLo e + rshr (epX e) 12 }

-- | and shsat b (-n).
expFinish :: ExpPipe -> F
expFinish e = shsat (epX e) (negate (epN e))

-- | Clocks of 'AttRun' per KV row: the stages of 'attStep'.
type AttClocks = 14

-- The online-softmax step of attention ("LlamaDv.Attention".'score' of the query
-- against row t, then 'softStep': the update of the running max, denominator and
-- accumulator) in 'AttClocks' stages, each at most one multiplication, table lookup or
-- wide addition with its rounding or saturation, registered in between (the sub-step
-- 'aStep' of 'AttRun'). Stage by stage ('attStep' below):
--
--   0  the 16 products of query and key mantissas        'attProducts'
--   1  their sum                                          'attDot'
--   2  shsat by the exponents: sF                         'attShift'
--   3  sat32 (rshr (sF * invSqrtHd16) 20): the score s     'attScale'
--   4  the new running max and the arguments of a and b  'attMax'
--   5-10  expF of both, in its stages ('expArg' .. 'expFinish')
--   11 den * a, acc * a, v * b                            'attWeigh'
--   12 their roundings (vterm's shsat)                    'attRound'
--   13 den' and acc' with their saturations              'attUpdate'
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

-- | shifted by the query and key exponents,
attShift :: Signed 32 -> ExpS -> ExpS -> F
attShift d qe ke = shsat (resize d) (negate (resize qe + resize ke + 20))
{-# NOINLINE attShift #-}

-- | and scaled by 1/sqrt(head dim): the score.
attScale :: F -> F
attScale sF = sat32 (rshr (resize sF * invSqrtHd16) 20)
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

-- | The results replace 'epX': a and b as F raws.
attExpFinish :: ExpPipe -> ExpPipe -> (ExpPipe, ExpPipe)
attExpFinish a b = (fin a, fin b)
  where
    fin e = e { epX = resize (expFinish e) }
{-# NOINLINE attExpFinish #-}

-- | The products of the update: den * a, acc * a (acc itself without the rescale) and
-- v * b (v * 1.0 on a head's first row).
attWeigh :: Bool -> Bool -> Soft 16 -> Vec 16 Act -> F -> F -> (Wide, Vec 16 Wide, Vec 16 Wide)
attWeigh rescale first st vm a b =
  (resize (sDen st) * resize a, map scale (sAcc st), map (\v -> resize v * resize w) vm)
  where
    scale x = if rescale then resize x * resize a else resize x
    w = if first then resize one else b :: F
{-# NOINLINE attWeigh #-}

-- | Their roundings: rshr by 20, and vterm's shsat by the value exponent.
attRound :: Bool -> ExpS -> Wide -> Vec 16 Wide -> Vec 16 Wide -> (Wide, Vec 16 Wide, Vec 16 Wide)
attRound rescale ev pd pa pv =
  (rshr pd 20, map (\p -> if rescale then rshr p 20 else p) pa, map (\p -> resize (shsat p (negate (resize ev)))) pv)
{-# NOINLINE attRound #-}

-- | The new denominator and accumulator, saturated (a head's first row: 1.0 and the
-- value terms).
attUpdate :: Bool -> F -> Wide -> Vec 16 Wide -> Vec 16 Wide -> (F, Vec 16 F)
attUpdate first b sd sa vt
  | first = (resize one, map resize vt)
  | otherwise = (sat32 (sd + resize b), zipWith (\x v -> sat32 (x + v)) sa vt)
{-# NOINLINE attUpdate #-}

-- | One clock of 'AttRun': stage 'aStep' of the online-softmax step of row t against
-- the query, with the row @kv@ at the KV RAM's output. The last stage moves to the
-- next row (or to 'AttRcp' after row pos). A component of its own, with the stages as
-- its subcomponents (the synthesis flow maps it in a run of its own,
-- regress/yosys/defaults.py).
attStep :: Bool -> DecState -> KvRow 16 -> DecState
attStep rescale s (km, ke, vm, ev) = case aStep s of
  0 -> next { aProd = attProducts (pm s) km }
  1 -> next { aSc = attDot (aProd s) }
  2 -> next { aSc = attShift (aSc s) (pe s) ke }
  3 -> next { aSc = attScale (aSc s) }
  4 -> let (mx, da, db, grew) = attMax first (sMax (soft s)) (aSc s)
       in next { soft = (soft s) { sMax = mx }, upd = upd s + (if grew then 1 else 0)
               , expA = ExpPipe 0 0 0 0 (resize da), expB = ExpPipe 0 0 0 0 (resize db) }
  5 -> exps (attExpArg (expA s) (expB s))
  6 -> exps (attExpSplit (expA s) (expB s))
  7 -> exps (attExpLookup (expA s) (expB s))
  8 -> exps (attExpMul (expA s) (expB s))
  9 -> exps (attExpInterp (expA s) (expB s))
  10 -> exps (attExpFinish (expA s) (expB s))
  11 -> let (pd, pa, pv) = attWeigh rescale first (soft s) vm a b in next { aDen = pd, aAcc = pa, aVt = pv }
  12 -> let (sd, sa, vt) = attRound rescale ev (aDen s) (aAcc s) (aVt s) in next { aDen = sd, aAcc = sa, aVt = vt }
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
startVin p s = s { phase = p, i = 0, vinMax = 0 }

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
  NormApply -> resize (i s)
  MvRun -> resize (macRow m)
  _ -> 0

kvAddr :: DecState -> Unsigned 6
kvAddr s = kvBase (layer s) (shiftR (h s) 1) + resize (t s)

-- | Element of the head being packed that the state reads (both passes).
packIndex :: DecState -> Unsigned 7
packIndex s = resize (h s) * 16 + resize (i s .&. 15)

-- | Scratch read addresses of a state: (x, vin, y, hid, rot).
scratchAddr :: DecState -> Mac -> (Unsigned 6, Unsigned 7, Unsigned 7, Unsigned 7, Unsigned 7)
scratchAddr s m = (resize (i s), vinA, yA, hidA, rotA)
  where
    -- 'SiluOut' starts the next element's division: its hid element, one ahead.
    hidA = if phase s == SiluOut then resize (i s + 1) else resize (i s)
    e = resize (shiftR (i s) 1) :: Unsigned 7
    vinA = if phase s == MvRun then resize (macCol m) else 0
    yA = case phase s of
      Rope -> if testBit (i s) 0 then e else e `xor` 1
      Pack -> packIndex s
      _ -> resize (i s)
    rotA = if packKind s == PackK then 64 + packIndex s else packIndex s

-- | The matvec engine's next accumulator: weight (row, column) of the ROM row times the
-- input element read from @vin@, quantised under the input's exponent.
mvAccumulate :: DecState -> Mac -> WeightRow -> F -> Signed 32
mvAccumulate s m w x = macStep (if macCol m == 0 then 0 else macAcc m) (weightAt w (macCol m)) (xeR s) x

-- | The matvec engine's next counters: column by column, row by row while the FSM is
-- in 'MvRun', cleared otherwise (so every matvec starts at row 0, column 0).
mvNext :: DecState -> Mac -> Signed 32 -> Mac
mvNext s m accN
  | phase s /= MvRun = Mac 0 0 0
  | macCol m == nCols s - 1 = Mac 0 (macRow m + 1) accN
  | otherwise = Mac (macCol m + 1) (macRow m) accN

-- | One clock of the FSM: the matvec engine's registers and next accumulator, inputs
-- (in_valid, in_token, in_pos, out_ready), the element 'Embed' loads into the residual
-- (the embedding's, in the decoder), the gain and row exponent the memories deliver for
-- this state, the KV row, the normalised head output of its softmax state (computed
-- once, outside, so the testbench view shares it) and the scratch read data; result:
-- next state, the KV write and the scratch writes.
step
  :: DecoderFault
  -> DecState -> Mac -> Signed 32
  -> (Bool, Unsigned 6, Unsigned 4, Bool)
  -> F -> F -> ExpS -> KvRow 16 -> Vec 16 F
  -> ScratchRd
  -> (DecState, Maybe (Unsigned 6, KvRow 16), ScratchWr)
step fault sIn m accN (iv, itok, ipos, ordy) xIn g we kv fin rd = case phase s of
  Idle | iv -> only (startEmbed 0 ipos s { tok = itok, layer = 0 })
       | otherwise -> only s
  Embed ->
    let next = if lastOf 63 then startNorm (normK s) s else step1
    in (next, Nothing, noWrites { wrX = Just (resize (i s), xIn) })
  NormSs ->
    let ss' = sumSquare (ssR s) (rdX rd)
    in only (if lastOf 63 then s { ssR = ss', phase = NormInv, i = 0 } else step1 { ssR = ss' })
  NormInv -> only $ case i s of
    0 -> let (mr, y0, sh) = normInv (ssR s) in step1 { ssR = mr, rinvR = resize y0, isqSh = resize sh }
    1 -> step1 { isqT = resize (normInvSquare (resize (rinvR s))) }
    2 -> step1 { isqT = resize (normInvTerm (ssR s) (resize (isqT s))) }
    _ -> startVin NormApply s { rinvR = normInvFinish (resize (rinvR s)) (resize (isqT s)) (resize (isqSh s)) }
  NormApply ->
    let o = normScale (rdX rd) (rinvR s) g
        s1 = (if lastOf 63 then s { phase = NormQuant } else step1) { vinMax = max (vinMax s) (absU o) }
    in (s1, Nothing, noWrites { wrVin = Just (resize (i s), o) })
  NormQuant -> only (startMv (case normK s of { 0 -> 0; 1 -> 4; _ -> 7 }) s { xeR = quantExp (vinMax s) })
  MvRun ->
    let lastCol = macCol m == nCols s - 1
        yN = shsat (resize accN) (negate (resize we + resize (xeR s) + 20))
        out = Just (resize (macRow m), yN)
        wr | not lastCol = noWrites
           | mat s == 4 = noWrites { wrHid = out }
           | otherwise = noWrites { wrY = out }
    in (if lastCol && macRow m == nRows s - 1 then s { phase = MvPost } else s, Nothing, wr)
  MvPost -> only $ case mat s of
    0 -> s { phase = Rope, i = 0 }
    1 -> s { phase = Rope, i = 0 }
    2 -> startPack PackK 0 s
    4 -> startMv 6 s
    6 -> startVin Silu s
    7 -> s { phase = Scan, i = 0 }
    _ -> s { phase = Resid, i = 0 }
  Rope ->
    let e = resize (shiftR (i s) 1) :: Unsigned 7
        base = if mat s == 0 then 0 else 64
        n = if mat s == 0 then 127 else 63
        s1 | lastOf n = startMv (mat s + 1) s
           | otherwise = step1 { partner = rdY rd }
        wr = noWrites { wrRot = Just (base + e, ropeElem (pos s) (resize e) (rdY rd) (partner s)) }
    in (s1, Nothing, if testBit (i s) 0 then wr else noWrites)
  Pack ->
    let d = case packKind s of { PackQ -> rdRot rd; PackK -> rdRot rd; PackV -> rdY rd }
        mx = max (if i s == 0 then 0 else packMax s) (absU d)
        e = quantExp mx
        pm' = pm s <<+ quantElem (pe s) d
    in if i s < 16
         then only step1 { packMax = mx, pe = if i s == 15 then e else pe s }
         else if i s < 31
           then only step1 { pm = pm' }
           else packed s pm'
  AttRun -> only (attStep (fault /= SkipRescale) s kv)
  AttRcp -> only s { phase = AttDiv, rcp = recipStart (sDen (soft s)) }
  -- The unit's last two quotient bits are formed in the cycle its count is 1.
  AttDiv -> only (if rcN (rcp sIn) == 1 then s { phase = AttFin } else s)
  AttFin ->
    let o = fin !! (i s .&. 15)
        s1 | lastOf 15 = if h s == 3 then s { phase = AttQuant } else startPack PackQ (h s + 1) s
           | otherwise = step1
    in ( s1 { vinMax = max (vinMax s) (absU o) }, Nothing
       , noWrites { wrVin = Just (resize (h s) * 16 + resize (i s), o) } )
  AttQuant -> only (startMv 3 s { xeR = quantExp (vinMax s) })
  Resid ->
    let x' = addF (rdX rd) (rdY rd)
        s1 | not (lastOf 63) = step1
           | mat s == 3 = startNorm 1 s
           | layer s == 1 = startNorm 2 s
           | otherwise = startNorm 0 s { layer = 1 }
    in (s1, Nothing, noWrites { wrX = Just (resize (i s), x') })
  Silu -> only s { phase = SiluDiv, rcp = siluStart }
  SiluDiv
    | rcN (rcp sIn) /= 0 -> only s
    | otherwise -> only s { phase = SiluOut, partner = siluMul (rdHid rd) (recipOut (rcp sIn)) }
  SiluOut ->
    let o = siluGate (partner s) (rdY rd)
        s1 = (if lastOf 127 then s { phase = SiluQuant } else step1 { phase = SiluDiv, rcp = siluStart })
               { vinMax = max (vinMax s) (absU o) }
    in (s1, Nothing, noWrites { wrVin = Just (resize (i s), o) })
  SiluQuant -> only (startMv 5 s { xeR = quantExp (vinMax s) })
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
    -- The division of the SiLU element whose hid value the scratch RAM delivers.
    siluStart = recipStartLarge (siluDen (rdHid rd))
    step1 = s { i = i s + 1 }
    lastOf n = i s == n
    only st = (st, Nothing, noWrites)
    -- The last cycle of a pack: a query head starts attention; a key head waits for
    -- its value head; a value head completes the KV row.
    packed st mant = case packKind st of
      PackQ -> only s { phase = AttRun, pm = mant, t = 0, upd = 0, i = 0, aStep = 0 }
      PackK -> only (startPack PackV (h st) s { kmR = mant, keR = pe st })
      PackV ->
        let row = resize (pos st) + (if fault == KvWrongRow then 1 else 0)
            wr = Just (kvBase (layer st) (h st) + row, (kmR st, keR st, mant, pe st))
            nxt | h st == 1 = startPack PackQ 0 s { vinMax = 0 }
                | otherwise = startPack PackK 1 s
        in (nxt, wr, noWrites)

s0 :: DecState
s0 = DecState Idle 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 PackQ 0 (repeat 0) 0 (repeat 0) 0 0 0
              (Soft 0 0 (repeat 0)) 0 0 0 recipIdle
              0 (repeat 0) 0 (ExpPipe 0 0 0 0 0) (ExpPipe 0 0 0 0 0) 0 (repeat 0) (repeat 0)

-- | The normalised head output of the state's softmax: the accumulator times the
-- reciprocal of the denominator, which the unit holds from 'AttDiv' through 'AttFin'.
finOf :: DecState -> Vec 16 F
finOf s = softFinishWith (recipOut (rcp s)) (soft s)

-- | The head the state is finishing, on the first cycle of its 'AttFin', with its
-- output row @fin@.
attOut :: DecState -> Vec 16 F -> Maybe AttOut
attOut s fin
  | phase s == AttFin && i s == 0 = Just (layer s, h s, upd s, fin)
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
    <*> reg expA
    <*> reg expB
    <*> reg aDen
    <*> reg aAcc
    <*> reg aVt
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

-- | The matvec engine around an FSM's state @st@: its registers, and its next
-- accumulator from the weight row @w@ and the scratch reads @rd@. Returns (registers,
-- next registers, next accumulator).
macRegisters
  :: HiddenClockResetEnable dom
  => Signal dom DecState -> Signal dom WeightRow -> Signal dom ScratchRd
  -> (Signal dom Mac, Signal dom Mac, Signal dom (Signed 32))
macRegisters st w rd = (m, macN, accN)
  where
    m = register (Mac 0 0 0) macN
    accN = mvAccumulate <$> st <*> m <*> w <*> (rdVin <$> rd)
    macN = mvNext <$> st <*> m <*> accN

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
  (inReady, outValid, token, logits, cycles, kvWr, attOut <$> st <*> fin)
  where
    st = stateRegisters nxt
    (mac, macN, accN) = macRegisters st wSel rd
    fin = finOf <$> st
    res = step fault <$> st <*> mac <*> accN <*> bundle (inValid, inTok, inPos, outReady)
               <*> (embedElem <$> st <*> embedRom (isPhase Embed, addr)) <*> gSel <*> eSel <*> kvRow <*> fin <*> rd
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
