-- | The autoregressive SMALL decoder: one token per request, every
-- matrix-vector product on one shared multiplier (weights row-packed in ROM files
-- written by models/export.py), attention over a block-RAM KV cache with the online
-- softmax of "LlamaDv.Attention", and a sequential argmax over the logits.
--
-- The whole step is one sequential FSM; ROM and KV read addresses are a function of
-- the next state, so the one-cycle-latency memories deliver the row the current state
-- needs. Element-wise work (RMSNorm, SwiGLU, argmax) runs one element per cycle;
-- RoPE and quantisation are combinational over one vector.
--
-- Besides its KV writes, the decoder shows each head's attention result as it is
-- finished ('AttOut'), so a testbench can name the layer and head where a result first
-- departs from the golden. 'DecoderFault' builds deliberately broken copies for the
-- negative tests; the real decoder is @decoder NoFault@.
module LlamaDv.Decoder
  ( Dim, HiddenDim, Vocab, KvRows, DecPhase (..), DecState (..), RomRows
  , DecoderFault (..), AttOut
  , decoder, matrixShape, ropeV
    -- * Pieces the prefill pipeline ("LlamaDv.Prefill") reuses per stage
  , step, s0, startNorm, addF, romAddr, kvAddr
  ) where

import Clash.Prelude
import LlamaDv.Attention (KvRow, Soft (..), score, softFinish, softStep)
import LlamaDv.Numerics
import LlamaDv.Tables (invSqrtHd16, ropeCos16, ropeSin16)

type Dim = 64
type HiddenDim = 128
type Vocab = 64
-- | KV-cache rows: layer x KV head x position (2 x 2 x 16).
type KvRows = 64

-- | Weight rows of every matrix ROM, widened to the longest row (W2's 128).
type RomRows = Vec 15 (Vec HiddenDim Act)

-- | A fault built into a test copy of the decoder: each must make the scoreboard fail.
data DecoderFault
  = NoFault
  | KvWrongRow     -- ^ every KV row is written one row past its position
  | SkipRescale    -- ^ the online softmax does not rescale when the running max grows
  deriving (Eq, Show)

-- | One finished attention head: (layer, head, running-max updates, output row).
type AttOut = (Unsigned 1, Unsigned 2, Unsigned 5, Vec 16 F)

data DecPhase
  = Idle | Embed | NormSs | NormInv | NormApply | NormQuant
  | MvRun | MvPost | KvWrite | AttInit | AttRun | AttFin | AttQuant
  | Silu | SiluQuant | Scan | Hold
  deriving (Generic, NFDataX, Show, Eq)

data DecState = DecState
  { phase :: DecPhase
  , layer :: Unsigned 1
  , pos :: Unsigned 4
  , tok :: Unsigned 6
  , i :: Unsigned 8
  , normK :: Unsigned 2      -- ^ 0 attention, 1 FFN, 2 final
  , ssR :: Wide
  , rinvR :: F
  , xR :: Vec Dim F          -- ^ residual stream
  , nbR :: Vec Dim F         -- ^ RMSNorm output
  , xmR :: Vec HiddenDim Act    -- ^ matvec input mantissas
  , xeR :: ExpS
  , mat :: Unsigned 3        -- ^ 0..6 Wq Wk Wv Wo W1 W2 W3, 7 classifier
  , r :: Unsigned 8
  , c :: Unsigned 8
  , nRows :: Unsigned 8
  , nCols :: Unsigned 8
  , acc :: Signed 32
  , yR :: Vec HiddenDim F       -- ^ matvec output
  , qR :: Vec Dim F
  , kR :: Vec 32 F
  , h :: Unsigned 2
  , t :: Unsigned 4
  , qmR :: Vec 16 Act
  , qeR :: ExpS
  , soft :: Soft 16
  , upd :: Unsigned 5        -- ^ running-max updates of the current head
  , attR :: Vec Dim F
  , h1R :: Vec HiddenDim F      -- ^ W1 output, then the gated product
  , best :: F
  , bestIx :: Unsigned 6
  , cyc :: Unsigned 32
  } deriving (Generic, NFDataX, Show)

-- | (rows, columns) of matrix kind k (Wq Wk Wv Wo W1 W2 W3, classifier).
matrixShape :: Unsigned 3 -> (Unsigned 8, Unsigned 8)
matrixShape k = case k of
  1 -> (32, 64)
  2 -> (32, 64)
  4 -> (128, 64)
  5 -> (64, 128)
  6 -> (128, 64)
  _ -> (64, 64)

-- | RoPE over adjacent pairs of a vector of 16-wide heads at position @p@.
ropeV :: forall n . KnownNat n => Unsigned 4 -> Vec (n * 2) F -> Vec (n * 2) F
ropeV p x = concat (imap rot (unconcat d2 x))
  where
    rot :: Index n -> Vec 2 F -> Vec 2 F
    rot k v = sat32 (rshr (x0 * cs - x1 * sn) 20) :> sat32 (rshr (x0 * sn + x1 * cs) 20) :> Nil
      where
        x0 = resize (head v) :: Wide
        x1 = resize (last v) :: Wide
        j = (fromIntegral k :: Unsigned 8) .&. 7
        a = resize p * 8 + j :: Unsigned 8
        cs = resize (ropeCos16 !! a) :: Wide
        sn = resize (ropeSin16 !! a) :: Wide

quantizeN :: forall n . (KnownNat n, 1 <= n) => Vec n F -> (Vec n Act, ExpS)
quantizeN = leToPlus @1 @n quantize

-- | -x for an F raw; -(-2^31) would wrap, and expF saturates identically at 2^31 - 1.
negF :: F -> F
negF x = if x == minBound then maxBound else negate x

siluF :: F -> F
siluF x = mulF (resize x) sig
  where
    sig = recipF (resize (sat32 (one + resize (expF (negF x)))))

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

-- | 1/sqrt(mean square + eps) from the sum of squares of 64 elements.
normInv :: Wide -> F
normInv ss = invsqrtF (sat32 (min (shiftR ss 6) 2147483647 + 10))
{-# NOINLINE normInv #-}

-- | One RMSNorm output element: x * rinv * gain.
normScale :: F -> F -> F -> F
normScale x rinv g = mulF (resize (mulF (resize x) (resize rinv))) (resize g)
{-# NOINLINE normScale #-}

-- | One SwiGLU element: silu(w1 x) * (w3 x).
siluGate :: F -> F -> F
siluGate h y = mulF (resize (siluF h)) (resize y)
{-# NOINLINE siluGate #-}

-- | One online-softmax step of attention: score of the query against row t, then the
-- update of the running max, denominator and accumulator.
attStep :: Bool -> Bool -> Soft 16 -> Vec 16 Act -> ExpS -> KvRow 16 -> (Soft 16, Bool)
attStep rescale first st qm qe (km, ke, vm, ve) =
  softStep rescale first st (score invSqrtHd16 qm qe km ke) vm ve
{-# NOINLINE attStep #-}

-- | RoPE of the 4 query heads and of the 2 KV heads.
ropeQ :: Unsigned 4 -> Vec 64 F -> Vec 64 F
ropeQ = ropeV @32
{-# NOINLINE ropeQ #-}

ropeK :: Unsigned 4 -> Vec 32 F -> Vec 32 F
ropeK = ropeV @16
{-# NOINLINE ropeK #-}

startMv :: Unsigned 3 -> DecState -> DecState
startMv k s = s { phase = MvRun, mat = k, r = 0, c = 0, nRows = fst sh, nCols = snd sh }
  where
    sh = matrixShape k

startNorm :: Unsigned 2 -> DecState -> DecState
startNorm k s = s { phase = NormSs, normK = k, i = 0, ssR = 0 }

headOf :: forall m . KnownNat m => Unsigned 2 -> Vec (m * 16) F -> Vec 16 F
headOf hh v = unconcat d16 v !! hh

kvBase :: Unsigned 1 -> Unsigned 2 -> Unsigned 6
kvBase l kvh = (resize l * 2 + resize kvh) * 16

-- | Index of the matrix ROM the state reads (layer-major, classifier last).
matrixIndex :: DecState -> Unsigned 4
matrixIndex s = if mat s == 7 then 14 else resize (layer s) * 7 + resize (mat s)

-- | Index of the gain ROM (rms_att l0, rms_ffn l0, rms_att l1, rms_ffn l1, rms_final).
gainIndex :: DecState -> Unsigned 3
gainIndex s = if normK s == 2 then 4 else resize (layer s) * 2 + resize (normK s)

-- | Shared ROM row address of a state (what its memories must deliver).
romAddr :: DecState -> Unsigned 7
romAddr s = case phase s of
  Embed -> resize (tok s)
  NormApply -> resize (i s)
  MvRun -> resize (r s)
  _ -> 0

kvAddr :: DecState -> Unsigned 6
kvAddr s = kvBase (layer s) (shiftR (h s) 1) + resize (t s)

-- | One clock of the FSM: inputs (in_valid, in_token, in_pos, out_ready), the rows
-- the memories deliver for this state and the normalised head output of its softmax
-- state (computed once, outside, so the testbench view shares it); result: next state
-- and the KV write.
step
  :: DecoderFault
  -> DecState
  -> (Bool, Unsigned 6, Unsigned 4, Bool)
  -> (Vec Dim Act, ExpS) -> F -> Vec HiddenDim Act -> ExpS -> KvRow 16 -> Vec 16 F
  -> (DecState, Maybe (Unsigned 6, KvRow 16))
step fault s (iv, itok, ipos, ordy) (em, ee) g wRow we kv fin = case phase s of
  Idle | iv -> (s { phase = Embed, tok = itok, pos = ipos, cyc = 1 }, Nothing)
       | otherwise -> (s, Nothing)
  Embed -> (startNorm 0 (busy { xR = map (`toF` ee) em, layer = 0 }), Nothing)
  NormSs ->
    let ss' = sumSquare (ssR s) (xR s !! i s)
    in (busy { ssR = ss', i = i s + 1, phase = if i s == 63 then NormInv else NormSs }, Nothing)
  NormInv -> (busy { rinvR = normInv (ssR s), i = 0, phase = NormApply }, Nothing)
  NormApply ->
    let o = normScale (xR s !! i s) (rinvR s) g
    in (busy { nbR = replace (i s) o (nbR s), i = i s + 1
             , phase = if i s == 63 then NormQuant else NormApply }, Nothing)
  NormQuant ->
    let (m, e) = quantizeN (nbR s)
        s1 = busy { xmR = m ++ repeat 0, xeR = e }
    in (startMv (case normK s of { 0 -> 0; 1 -> 4; _ -> 7 }) s1, Nothing)
  MvRun ->
    let w = wRow !! c s
        p = resize ((resize w :: Signed 16) * resize (xmR s !! c s)) :: Signed 32
        accN = (if c s == 0 then 0 else acc s) + p
        lastCol = c s == nCols s - 1
        yN = shsat (resize accN) (negate (resize we + resize (xeR s) + 20))
        s1 = busy { acc = accN
                  , yR = if lastCol then replace (r s) yN (yR s) else yR s
                  , c = if lastCol then 0 else c s + 1
                  , r = if lastCol then r s + 1 else r s }
    in (if lastCol && r s == nRows s - 1 then s1 { phase = MvPost } else s1, Nothing)
  MvPost -> case mat s of
    0 -> (startMv 1 busy { qR = ropeQ (pos s) (take d64 (yR s)) }, Nothing)
    1 -> (startMv 2 busy { kR = ropeK (pos s) (take d32 (yR s)) }, Nothing)
    2 -> (busy { phase = KvWrite, h = 0 }, Nothing)
    3 -> (startNorm 1 busy { xR = zipWith addF (xR s) (take d64 (yR s)) }, Nothing)
    4 -> (startMv 6 busy { h1R = yR s }, Nothing)
    6 -> (busy { phase = Silu, i = 0 }, Nothing)
    5 -> let s1 = busy { xR = zipWith addF (xR s) (take d64 (yR s)) }
         in if layer s == 1 then (startNorm 2 s1, Nothing)
            else (startNorm 0 s1 { layer = 1 }, Nothing)
    _ -> (busy { phase = Scan, i = 0 }, Nothing)
  KvWrite ->
    let (kq, kqe) = quantizeN (headOf @2 (h s) (kR s))
        (vq, vqe) = quantizeN (headOf @2 (h s) (take d32 (yR s)))
        row = resize (pos s) + (if fault == KvWrongRow then 1 else 0)
        wr = Just (kvBase (layer s) (h s) + row, (kq, kqe, vq, vqe))
    in (busy { phase = if h s == 1 then AttInit else KvWrite, h = if h s == 1 then 0 else h s + 1 }, wr)
  AttInit ->
    let (qm, qe) = quantizeN (headOf @4 (h s) (qR s))
    in (busy { phase = AttRun, qmR = qm, qeR = qe, t = 0, upd = 0 }, Nothing)
  AttRun ->
    let (soft', grew) = attStep (fault /= SkipRescale) (t s == 0) (soft s) (qmR s) (qeR s) kv
    in (busy { soft = soft', upd = upd s + (if grew then 1 else 0)
             , phase = if t s == pos s then AttFin else AttRun, t = t s + 1 }, Nothing)
  AttFin ->
    let att' = concat (replace (h s) fin (unconcat d16 (attR s)))
    in (busy { attR = att', phase = if h s == 3 then AttQuant else AttInit, h = h s + 1 }, Nothing)
  AttQuant ->
    let (m, e) = quantizeN (attR s)
    in (startMv 3 busy { xmR = m ++ repeat 0, xeR = e }, Nothing)
  Silu ->
    let gi = siluGate (h1R s !! i s) (yR s !! i s)
    in (busy { h1R = replace (i s) gi (h1R s), i = i s + 1
             , phase = if i s == 127 then SiluQuant else Silu }, Nothing)
  SiluQuant ->
    let (m, e) = quantizeN (h1R s)
    in (startMv 5 busy { xmR = m, xeR = e }, Nothing)
  Scan ->
    let l = yR s !! i s
        s1 = if i s == 0 || l > best s then busy { best = l, bestIx = resize (i s) } else busy
    in (s1 { i = i s + 1, phase = if i s == 63 then Hold else Scan }, Nothing)
  Hold | ordy -> (s { phase = Idle }, Nothing)
       | otherwise -> (s, Nothing)
  where
    busy = s { cyc = cyc s + 1 }

s0 :: DecState
s0 = DecState Idle 0 0 0 0 0 0 0 (repeat 0) (repeat 0) (repeat 0) 0 0 0 0 0 0 0
              (repeat 0) (repeat 0) (repeat 0) 0 0 (repeat 0) 0 (Soft 0 0 (repeat 0)) 0
              (repeat 0) (repeat 0) 0 0 0

-- | The head the state is finishing, if it is in 'AttFin', with its output row @fin@.
attOut :: DecState -> Vec 16 F -> Maybe AttOut
attOut s fin
  | phase s == AttFin = Just (layer s, h s, upd s, fin)
  | otherwise = Nothing

-- | The state held in one register per field. One 19 000-bit register would make
-- every field's logic depend on every other field: an event-driven simulator then
-- re-evaluates the whole datapath each cycle (Icarus ran the decoder at well under 100
-- cycles/s), and yosys's flip-flop optimisation stalls on the single huge cell. Per
-- field, a matvec cycle only touches the accumulator and its counters.
stateRegisters :: forall dom . HiddenClockResetEnable dom => Signal dom DecState -> Signal dom DecState
stateRegisters nxt =
  DecState <$> reg phase
    <*> reg layer
    <*> reg pos
    <*> reg tok
    <*> reg i
    <*> reg normK
    <*> reg ssR
    <*> reg rinvR
    <*> reg xR
    <*> reg nbR
    <*> reg xmR
    <*> reg xeR
    <*> reg mat
    <*> reg r
    <*> reg c
    <*> reg nRows
    <*> reg nCols
    <*> reg acc
    <*> reg yR
    <*> reg qR
    <*> reg kR
    <*> reg h
    <*> reg t
    <*> reg qmR
    <*> reg qeR
    <*> reg soft
    <*> reg upd
    <*> reg attR
    <*> reg h1R
    <*> reg best
    <*> reg bestIx
    <*> reg cyc
  where
    reg :: forall a . NFDataX a => (DecState -> a) -> Signal dom a
    reg field = register (field s0) (field <$> nxt)

-- | The decoder around memory readers: @embedRom@, @gainRoms@ (5), @wRoms@ / @eRoms@
-- (15 each: 2 layers x 7 matrices, then the classifier) all read the shared row
-- address with one cycle of latency. Outputs: (in_ready, out_valid, token, logits,
-- cycles, KV write, finished attention head).
decoder
  :: HiddenClockResetEnable dom
  => DecoderFault
  -> (Signal dom (Unsigned 7) -> Signal dom (Vec Dim Act, ExpS))
  -> Vec 5 (Signal dom (Unsigned 7) -> Signal dom F)
  -> Vec 15 (Signal dom (Unsigned 7) -> Signal dom (Vec HiddenDim Act))
  -> Vec 15 (Signal dom (Unsigned 7) -> Signal dom ExpS)
  -> Signal dom Bool -> Signal dom (Unsigned 6) -> Signal dom (Unsigned 4) -> Signal dom Bool
  -> ( Signal dom Bool, Signal dom Bool, Signal dom (Unsigned 6), Signal dom (Vec Dim F)
     , Signal dom (Unsigned 32), Signal dom (Maybe (Unsigned 6, KvRow 16))
     , Signal dom (Maybe AttOut) )
decoder fault embedRom gainRoms wRoms eRoms inValid inTok inPos outReady =
  (inReady, outValid, token, logits, cycles, kvWr, attOut <$> st <*> fin)
  where
    st = stateRegisters (fst <$> res)
    fin = softFinish . soft <$> st
    res = step fault <$> st <*> bundle (inValid, inTok, inPos, outReady)
               <*> embedRom addr <*> gSel <*> wSel <*> eSel <*> kvRow <*> fin
    kvWr = snd <$> res
    nxt = fst <$> res
    addr = romAddr <$> nxt
    kvRow = blockRam (replicate (SNat @KvRows) (repeat 0, 0, repeat 0, 0)) (kvAddr <$> nxt) kvWr
    gSel = (!!) <$> bundle (map ($ addr) gainRoms) <*> (gainIndex <$> st)
    wSel = (!!) <$> bundle (map ($ addr) wRoms) <*> (matrixIndex <$> st)
    eSel = (!!) <$> bundle (map ($ addr) eRoms) <*> (matrixIndex <$> st)
    inReady = (\s -> phase s == Idle) <$> st
    outValid = (\s -> phase s == Hold) <$> st
    token = bestIx <$> st
    logits = (take d64 . yR) <$> st
    cycles = cyc <$> st
