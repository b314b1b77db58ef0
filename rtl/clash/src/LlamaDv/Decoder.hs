-- | The autoregressive SMALL decoder: one token per request, every
-- matrix-vector product on one shared multiplier (weights row-packed in ROM files
-- written by models/export.py), attention over a block-RAM KV cache with the online
-- softmax of "LlamaDv.Attention", and a sequential argmax over the logits.
--
-- The whole step is one sequential FSM over narrow registers. Every vector (residual,
-- matvec input and outputs, rotated Q and K) lives in a small scratch RAM and is
-- touched one element per cycle, so a clock only changes the few registers of its
-- state: that keeps simulation fast and synthesis small. Memory read addresses are a
-- function of the next state, so the one-cycle-latency memories deliver what the
-- current state needs.
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
  ( Dim, HiddenDim, Vocab, KvRows, DecPhase (..), DecState (..), RomRows
  , DecoderFault (..), AttOut, ScratchRd (..), ScratchWr (..)
  , decoder, matrixShape, ropeV
    -- * Pieces the prefill pipeline ("LlamaDv.Prefill") reuses per stage
  , step, s0, startEmbed, romAddr, kvAddr, scratch, noWrites, attOut, logitShift, embedElem
  ) where

import Clash.Magic (setName)
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
  | MiscountCycles -- ^ the cycles-per-token counter leaves out the argmax scan
  deriving (Eq, Show)

-- | One finished attention head: (layer, head, running-max updates, output row).
type AttOut = (Unsigned 1, Unsigned 2, Unsigned 5, Vec 16 F)

-- | Phases of a token. Element loops run the counter @i@; 'Rope' takes two cycles
-- per element (partner, then element) and 'Pack' two passes of 16 (max, mantissas).
data DecPhase
  = Idle | Embed | NormSs | NormInv | NormApply | NormQuant
  | MvRun | MvPost | Rope | Pack | AttRun | AttFin | AttQuant
  | Resid | Silu | SiluQuant | Scan | Hold
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
  , ssR :: Wide
  , rinvR :: F
  , vinMax :: Unsigned 32    -- ^ largest magnitude written to the matvec input so far
  , xeR :: ExpS              -- ^ exponent of the matvec input
  , mat :: Unsigned 3        -- ^ 0..6 Wq Wk Wv Wo W1 W2 W3, 7 classifier
  , r :: Unsigned 8
  , c :: Unsigned 8
  , nRows :: Unsigned 8
  , nCols :: Unsigned 8
  , acc :: Signed 32
  , partner :: F             -- ^ RoPE: the other element of the pair
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
  , cyc :: Unsigned 32
  } deriving (Generic, NFDataX, Show)

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
siluGate hx y = mulF (resize (siluF hx)) (resize y)
{-# NOINLINE siluGate #-}

-- | One multiply-accumulate of the shared matvec engine: weight times the input
-- element quantised under the input's exponent.
macStep :: Signed 32 -> Act -> ExpS -> F -> Signed 32
macStep a w xe x = a + resize ((resize w :: Signed 16) * resize (quantElem xe x))
{-# NOINLINE macStep #-}

-- | One online-softmax step of attention: score of the query against row t, then the
-- update of the running max, denominator and accumulator.
attStep :: Bool -> Bool -> Soft 16 -> Vec 16 Act -> ExpS -> KvRow 16 -> (Soft 16, Bool)
attStep rescale first st qm qe (km, ke, vm, ve) =
  softStep rescale first st (score invSqrtHd16 qm qe km ke) vm ve
{-# NOINLINE attStep #-}

startMv :: Unsigned 3 -> DecState -> DecState
startMv k s = s { phase = MvRun, mat = k, r = 0, c = 0, nRows = fst sh, nCols = snd sh }
  where
    sh = matrixShape k

startNorm :: Unsigned 2 -> DecState -> DecState
startNorm k s = s { phase = NormSs, normK = k, i = 0, ssR = 0 }

-- | Load a residual vector (an embedding, or a pipeline stage's input) at position
-- @p@, then normalise it with RMSNorm kind @k@.
startEmbed :: Unsigned 2 -> Unsigned 4 -> DecState -> DecState
startEmbed k p s = s { phase = Embed, normK = k, pos = p, i = 0, cyc = 1 }

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
romAddr :: DecState -> Unsigned 7
romAddr s = case phase s of
  Embed -> resize (tok s)
  NormApply -> resize (i s)
  MvRun -> resize (r s)
  _ -> 0

kvAddr :: DecState -> Unsigned 6
kvAddr s = kvBase (layer s) (shiftR (h s) 1) + resize (t s)

-- | Element of the head being packed that the state reads (both passes).
packIndex :: DecState -> Unsigned 7
packIndex s = resize (h s) * 16 + resize (i s .&. 15)

-- | Scratch read addresses of a state: (x, vin, y, hid, rot).
scratchAddr :: DecState -> (Unsigned 6, Unsigned 7, Unsigned 7, Unsigned 7, Unsigned 7)
scratchAddr s = (resize (i s), vinA, yA, resize (i s), rotA)
  where
    e = resize (shiftR (i s) 1) :: Unsigned 7
    vinA = if phase s == MvRun then resize (c s) else 0
    yA = case phase s of
      Rope -> if testBit (i s) 0 then e else e `xor` 1
      Pack -> packIndex s
      _ -> resize (i s)
    rotA = if packKind s == PackK then 64 + packIndex s else packIndex s

-- | One clock of the FSM: inputs (in_valid, in_token, in_pos, out_ready), the
-- element 'Embed' loads into the residual (the embedding's, in the decoder), the rows
-- the memories deliver for this state, the normalised head output of its softmax
-- state (computed once, outside, so the testbench view shares it) and the scratch
-- read data; result: next state, the KV write and the scratch writes.
step
  :: DecoderFault
  -> DecState
  -> (Bool, Unsigned 6, Unsigned 4, Bool)
  -> F -> F -> Vec HiddenDim Act -> ExpS -> KvRow 16 -> Vec 16 F
  -> ScratchRd
  -> (DecState, Maybe (Unsigned 6, KvRow 16), ScratchWr)
step fault s (iv, itok, ipos, ordy) xIn g wRow we kv fin rd = case phase s of
  Idle | iv -> only (startEmbed 0 ipos s { tok = itok, layer = 0 })
       | otherwise -> only s
  Embed ->
    let next = if lastOf 63 then startNorm (normK s) busy else step1
    in (next, Nothing, noWrites { wrX = Just (resize (i s), xIn) })
  NormSs ->
    let ss' = sumSquare (ssR s) (rdX rd)
    in only (if lastOf 63 then busy { ssR = ss', phase = NormInv } else step1 { ssR = ss' })
  NormInv -> only (startVin NormApply busy { rinvR = normInv (ssR s) })
  NormApply ->
    let o = normScale (rdX rd) (rinvR s) g
        s1 = (if lastOf 63 then busy { phase = NormQuant } else step1) { vinMax = max (vinMax s) (absU o) }
    in (s1, Nothing, noWrites { wrVin = Just (resize (i s), o) })
  NormQuant -> only (startMv (case normK s of { 0 -> 0; 1 -> 4; _ -> 7 }) busy { xeR = quantExp (vinMax s) })
  MvRun ->
    let accN = macStep (if c s == 0 then 0 else acc s) (wRow !! c s) (xeR s) (rdVin rd)
        lastCol = c s == nCols s - 1
        yN = shsat (resize accN) (negate (resize we + resize (xeR s) + 20))
        out = Just (resize (r s), yN)
        wr | not lastCol = noWrites
           | mat s == 4 = noWrites { wrHid = out }
           | otherwise = noWrites { wrY = out }
        s1 = busy { acc = accN, c = if lastCol then 0 else c s + 1, r = if lastCol then r s + 1 else r s }
    in (if lastCol && r s == nRows s - 1 then s1 { phase = MvPost } else s1, Nothing, wr)
  MvPost -> only $ case mat s of
    0 -> busy { phase = Rope, i = 0 }
    1 -> busy { phase = Rope, i = 0 }
    2 -> startPack PackK 0 busy
    4 -> startMv 6 busy
    6 -> startVin Silu busy
    7 -> busy { phase = Scan, i = 0 }
    _ -> busy { phase = Resid, i = 0 }
  Rope ->
    let e = resize (shiftR (i s) 1) :: Unsigned 7
        base = if mat s == 0 then 0 else 64
        n = if mat s == 0 then 127 else 63
        s1 | lastOf n = startMv (mat s + 1) busy
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
  AttRun ->
    let (soft', grew) = attStep (fault /= SkipRescale) (t s == 0) (soft s) (pm s) (pe s) kv
    in only busy { soft = soft', upd = upd s + (if grew then 1 else 0)
                 , phase = if t s == pos s then AttFin else AttRun, t = t s + 1 }
  AttFin ->
    let o = fin !! (i s .&. 15)
        s1 | lastOf 15 = if h s == 3 then busy { phase = AttQuant } else startPack PackQ (h s + 1) busy
           | otherwise = step1
    in ( s1 { vinMax = max (vinMax s) (absU o) }, Nothing
       , noWrites { wrVin = Just (resize (h s) * 16 + resize (i s), o) } )
  AttQuant -> only (startMv 3 busy { xeR = quantExp (vinMax s) })
  Resid ->
    let x' = addF (rdX rd) (rdY rd)
        s1 | not (lastOf 63) = step1
           | mat s == 3 = startNorm 1 busy
           | layer s == 1 = startNorm 2 busy
           | otherwise = startNorm 0 busy { layer = 1 }
    in (s1, Nothing, noWrites { wrX = Just (resize (i s), x') })
  Silu ->
    let o = siluGate (rdHid rd) (rdY rd)
        s1 = (if lastOf 127 then busy { phase = SiluQuant } else step1) { vinMax = max (vinMax s) (absU o) }
    in (s1, Nothing, noWrites { wrVin = Just (resize (i s), o) })
  SiluQuant -> only (startMv 5 busy { xeR = quantExp (vinMax s) })
  Scan ->
    let l = rdY rd
        s1 = if i s == 0 || l > best s then step1 { best = l, bestIx = resize (i s) } else step1
    in only (if lastOf 63 then s1 { phase = Hold } else s1)
  Hold | ordy -> only s { phase = Idle }
       | otherwise -> only s
  where
    busy = s { cyc = cyc s + (if fault == MiscountCycles && phase s == Scan then 0 else 1) }
    step1 = busy { i = i s + 1 }
    lastOf n = i s == n
    only st = (st, Nothing, noWrites)
    -- The last cycle of a pack: a query head starts attention; a key head waits for
    -- its value head; a value head completes the KV row.
    packed st m = case packKind st of
      PackQ -> only busy { phase = AttRun, pm = m, t = 0, upd = 0, i = 0 }
      PackK -> only (startPack PackV (h st) busy { kmR = m, keR = pe st })
      PackV ->
        let row = resize (pos st) + (if fault == KvWrongRow then 1 else 0)
            wr = Just (kvBase (layer st) (h st) + row, (kmR st, keR st, m, pe st))
            nxt | h st == 1 = startPack PackQ 0 busy { vinMax = 0 }
                | otherwise = startPack PackK 1 busy
        in (nxt, wr, noWrites)

s0 :: DecState
s0 = DecState Idle 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 PackQ 0 (repeat 0) 0 (repeat 0) 0 0 0
              (Soft 0 0 (repeat 0)) 0 0 0 0

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

-- | The state held in one register per field: one register of the whole record would
-- make every field's logic depend on every other field, and an event-driven simulator
-- would then re-evaluate the whole datapath each cycle.
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
    <*> reg vinMax
    <*> reg xeR
    <*> reg mat
    <*> reg r
    <*> reg c
    <*> reg nRows
    <*> reg nCols
    <*> reg acc
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
    <*> reg cyc
  where
    reg :: forall a . NFDataX a => (DecState -> a) -> Signal dom a
    reg field = register (field s0) (field <$> nxt)

-- | The scratch RAMs of one FSM, read at the addresses of its next state @nxt@.
scratch :: HiddenClockResetEnable dom => Signal dom DecState -> Signal dom ScratchWr -> Signal dom ScratchRd
scratch nxt wr = ScratchRd <$> ram d64 ax (wrX <$> wr) <*> ram d128 av (wrVin <$> wr)
  <*> ram d128 ay (wrY <$> wr) <*> ram d128 ah (wrHid <$> wr) <*> ram d128 ar (wrRot <$> wr)
  where
    (ax, av, ay, ah, ar) = unbundle (scratchAddr <$> nxt)
    ram :: (HiddenClockResetEnable dom, KnownNat n, KnownNat a) => SNat n -> Signal dom (Unsigned a) -> Signal dom (Maybe (Unsigned a, F)) -> Signal dom F
    ram n = blockRam (replicate n 0)

-- | The KV cache: one block RAM of 'KvRows' rows, a component of its own (instance
-- @kv_cache@) so a testbench can read its rows by a stable hierarchical name.
kvCache
  :: HiddenClockResetEnable dom
  => Signal dom (Unsigned 6) -> Signal dom (Maybe (Unsigned 6, KvRow 16)) -> Signal dom (KvRow 16)
kvCache = blockRam (replicate (SNat @KvRows) (repeat 0, 0, repeat 0, 0))
{-# NOINLINE kvCache #-}

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
    st = stateRegisters nxt
    fin = softFinish . soft <$> st
    res = step fault <$> st <*> bundle (inValid, inTok, inPos, outReady)
               <*> (embedElem <$> st <*> embedRom addr) <*> gSel <*> wSel <*> eSel <*> kvRow <*> fin <*> rd
    (nxt, kvWr, wr) = unbundle res
    rd = scratch nxt wr
    addr = romAddr <$> nxt
    kvRow = setName @"kv_cache" kvCache (kvAddr <$> nxt) kvWr
    gSel = (!!) <$> bundle (map ($ addr) gainRoms) <*> (gainIndex <$> st)
    wSel = (!!) <$> bundle (map ($ addr) wRoms) <*> (matrixIndex <$> st)
    eSel = (!!) <$> bundle (map ($ addr) eRoms) <*> (matrixIndex <$> st)
    inReady = (\s -> phase s == Idle) <$> st
    outValid = (\s -> phase s == Hold) <$> st
    token = bestIx <$> st
    logits = register (repeat 0) (logitShift <$> st <*> (rdY <$> rd) <*> logits)
    cycles = cyc <$> st
