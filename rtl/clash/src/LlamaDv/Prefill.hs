-- | The M4 prefill pipeline: the SMALL decoder split into a wavefront of stages
-- (embedding -> layer 0 -> layer 1 -> head), so prompt position p+1 runs layer 0 while
-- position p runs layer 1.
--
-- Every stage is a micro-FSM with its own multiply-accumulate and scratch RAMs: the
-- layer and head stages run the decoder's own step function ("LlamaDv.Decoder".'step')
-- and differ only where a token enters or leaves the stage, so the arithmetic is the
-- decoder's, bit for bit. Stages hand a 'Slot' (position, residual vector) to the next
-- through a two-entry skid buffer with valid/ready on both sides; a stage loads the
-- slot's vector into its residual RAM one element per cycle and releases the slot on
-- the last one.
--
-- Each layer owns its KV cache: a Clash 'blockRam' with one write port (the layer's
-- KV writes) and one read port (its attention reads). A read of the address written in
-- the same cycle returns the OLD row (Clash's model and its Verilog template both read
-- before the write lands); the pipeline never relies on it: a layer writes the row of
-- position p before it issues the first attention read, and it works on positions in
-- order, so every row it reads was written by an earlier cycle of this prompt.
module LlamaDv.Prefill
  ( Slot (..), KvTrace (..), Prefilled (..), LayerKvRows
  , skid, embedStage, layerStage, headStage, prefill
  ) where

import Clash.Prelude
import Data.Maybe (isJust, isNothing)
import LlamaDv.Attention (KvRow)
import LlamaDv.Decoder
import LlamaDv.Numerics

-- | A prompt position travelling between stages: its position and residual vector.
data Slot = Slot { slotPos :: Unsigned 4, slotX :: Vec Dim F }
  deriving (Generic, NFDataX, Show, Eq)

-- | Rows of one layer's KV cache: KV head x position (2 x 16), address @kvh * 16 + pos@.
type LayerKvRows = 32

-- | What one layer does in a cycle, for the environment's hazard and wavefront monitors.
data KvTrace = KvTrace
  { kvWrite :: Maybe (Unsigned 5, KvRow 16)   -- ^ the RAM's write port
  , kvRead :: Maybe (Unsigned 5)             -- ^ a read whose row attention uses next cycle
  , kvPos :: Unsigned 4                       -- ^ position the layer works on
  , kvBusy :: Bool                            -- ^ the layer holds a token
  } deriving (Generic, NFDataX, Show)

-- | Cycles from a layer's KV write of KV head 0 to its first attention read of that
-- row: the key and value packs of KV head 1 (2 x 36 cycles), then the pack of query
-- head 0 (36 cycles, the read address leaves on its last one).
type LateKvCycles = 108

-- | Two-entry skid buffer: ready and valid are both registered, so no combinational
-- path runs between stages; a producer that sees ready may hand over one slot.
skid
  :: (HiddenClockResetEnable dom, NFDataX a)
  => Signal dom (Maybe a) -> Signal dom Bool -> (Signal dom Bool, Signal dom (Maybe a))
skid inp outReady = (inReady, fst <$> st)
  where
    st = register (Nothing, Nothing) (go <$> st <*> inp <*> outReady)
    inReady = isNothing . snd <$> st
    go (a, b) i r = case i of
      Just _ | isNothing b -> if isNothing a1 then (i, b1) else (a1, i)
      _ -> (a1, b1)
      where
        (a1, b1) = if r && isJust a then (b, Nothing) else (a, b)

data EmbedState = EmbedState
  { eFetch :: Bool, eTok :: Unsigned 6, ePos :: Unsigned 4, eOut :: Maybe Slot }
  deriving (Generic, NFDataX, Show)

-- | Accepts (token, position), reads the embedding row (one cycle of ROM latency) and
-- offers the slot downstream. Outputs (in_ready, slot).
embedStage
  :: HiddenClockResetEnable dom
  => (RomRead dom -> Signal dom (Vec Dim Act, ExpS))
  -> Signal dom Bool -> Signal dom (Unsigned 6) -> Signal dom (Unsigned 4) -> Signal dom Bool
  -> (Signal dom Bool, Signal dom (Maybe Slot))
embedStage embedRom iv itok ipos ordy = (inReady, eOut <$> st)
  where
    st = register (EmbedState False 0 0 Nothing) nxt
    nxt = go <$> st <*> bundle (iv, itok, ipos, ordy) <*> embedRom (eFetch <$> nxt, resize . eTok <$> nxt)
    inReady = (\s -> not (eFetch s) && isNothing (eOut s)) <$> st
    go s (v, t, p, r) (m, e)
      | eFetch s = s { eFetch = False, eOut = Just (Slot (ePos s) (map (`toF` e) m)) }
      | isJust (eOut s) = if r then s { eOut = Nothing } else s
      | v = s { eFetch = True, eTok = t, ePos = p }
      | otherwise = s

-- | The element of the incoming slot that 'Embed' loads into the stage's residual.
slotElem :: DecState -> Maybe Slot -> F
slotElem s = maybe 0 ((!! i s) . slotX)

-- | A stage holds its input slot while it loads it: the skid buffer may drop it on the
-- last load cycle.
loading :: DecState -> Bool
loading s = phase s == Embed && i s == 63

-- | The residual a layer hands on: shifted in as its last residual add (after W2)
-- writes it, one element per cycle.
residOut :: DecState -> ScratchWr -> Vec Dim F -> Vec Dim F
residOut s w v
  | phase s == Resid && mat s == 5 = maybe v ((v <<+) . snd) (wrX w)
  | otherwise = v

-- | One layer's step: load a slot when idle, then the decoder's step until the W2
-- residual add, where the slot leaves (Hold) instead of entering the next layer.
layerStep
  :: Unsigned 1 -> DecState -> Mac -> Maybe Slot -> Bool -> F -> KvRow 16
  -> ScratchRd
  -> (DecState, Maybe (Unsigned 6, KvRow 16), ScratchWr)
layerStep l s m inp ordy g kv rd = case (phase s, inp) of
  (Idle, Just (Slot p _)) -> (startEmbed 0 p s { layer = l }, Nothing, noWrites)
  (Idle, Nothing) -> (s, Nothing, noWrites)
  (Resid, _) | mat s == 5 && i s == 63 -> (s' { phase = Hold }, kvW, wr)
  _ -> res
  where
    res@(s', kvW, wr) = step NoFault s m (False, 0, 0, ordy) (slotElem s inp) g kv rd

-- | A decoder layer as a pipeline stage with its own KV cache and scratch RAMs.
-- @lateKv@ builds the deliberately broken variant for the hazard monitor's negative
-- test: the KV write reaches the RAM 'lateKvCycles' late, so attention reads the row of
-- KV head 0 in the cycle it is written. Outputs (in_ready, slot, trace).
layerStage
  :: HiddenClockResetEnable dom
  => Bool -> Unsigned 1
  -> Vec 2 (RomRead dom -> Signal dom F)
  -> Vec 7 (RomRead dom -> Signal dom WeightRow)
  -> Vec 7 (RomRead dom -> Signal dom ExpS)
  -> Signal dom (Maybe Slot) -> Signal dom Bool
  -> (Signal dom Bool, Signal dom (Maybe Slot), Signal dom KvTrace)
layerStage lateKv l gainRoms wRoms eRoms inp ordy = (inReady, out, trace)
  where
    st = stateRegisters nxt
    (mac, macN) = macRegisters st wSel eSel rd
    res = layerStep l <$> st <*> mac <*> inp <*> ordy <*> gSel <*> kvRow <*> rd
    (nxt, kvWr6, wr) = unbundle res
    rd = scratch nxt macN wr
    addr = romAddr <$> nxt <*> macN
    normApply = (\s -> phase s == NormApply) <$> nxt
    gSel = (!!) <$> bundle (map (\rom -> rom (normApply, addr)) gainRoms) <*> (gainOf <$> st)
    wSel = readMatrix matOf st nxt addr wRoms
    eSel = readMatrix matOf st nxt addr eRoms
    matOf s = resize (mat s) :: Unsigned 4
    gainOf s = resize (normK s) :: Unsigned 1
    kvWr = fmap (\(a, row) -> (resize a, row)) <$> kvWr6
    kvWrRam = if lateKv then last (iterate (SNat @(LateKvCycles + 1)) (register Nothing) kvWr) else kvWr
    rdAddr = resize . kvAddr <$> nxt
    kvRow = blockRam (replicate (SNat @LayerKvRows) (repeat 0, 0, repeat 0, 0)) rdAddr kvWrRam
    inReady = loading <$> st
    xOut = register (repeat 0) (residOut <$> st <*> wr <*> xOut)
    out = (\s x -> if phase s == Hold then Just (Slot (pos s) x) else Nothing) <$> st <*> xOut
    readOf s a = if phase s == AttRun then Just a else Nothing
    trace = KvTrace <$> kvWrRam <*> (readOf <$> nxt <*> rdAddr) <*> (pos <$> st)
                    <*> ((\s -> phase s /= Idle) <$> st)

-- | Final RMSNorm, classifier and argmax of one slot, by the decoder's step. Outputs
-- (in_ready, (position, token, logits) when valid).
headStage
  :: HiddenClockResetEnable dom
  => (RomRead dom -> Signal dom F)
  -> (RomRead dom -> Signal dom WeightRow)
  -> (RomRead dom -> Signal dom ExpS)
  -> Signal dom (Maybe Slot) -> Signal dom Bool
  -> (Signal dom Bool, Signal dom (Maybe (Unsigned 4, Unsigned 6, Vec Dim F)))
headStage gainRom wRom eRom inp ordy = (inReady, out)
  where
    st = stateRegisters nxt
    (mac, macN) = macRegisters st w e rd
    res = go <$> st <*> mac <*> inp <*> ordy <*> gainRom (isPhase NormApply, addr) <*> rd
    (nxt, _, wr) = unbundle res
    rd = scratch nxt macN wr
    addr = romAddr <$> nxt <*> macN
    isPhase p = (\s -> phase s == p) <$> nxt
    w = wRom (isPhase MvRun, addr)
    e = eRom (isPhase MvRun, addr)
    go s m x r g rdv = case (phase s, x) of
      (Idle, Just (Slot p _)) -> let (_, k, n) = idle in (startEmbed 2 p s, k, n)
      _ -> idle
      where
        idle = step NoFault s m (False, 0, 0, r) (slotElem s x) g (repeat 0, 0, repeat 0, 0) rdv
    inReady = loading <$> st
    logits = register (repeat 0) (logitShift <$> st <*> (rdY <$> rd) <*> logits)
    out = (\s lg -> if phase s == Hold then Just (pos s, bestIx s, lg) else Nothing) <$> st <*> logits

-- | Everything the pipeline shows outside: the token interface, the three skid
-- buffers' (valid out, ready in) and each layer's trace.
data Prefilled dom = Prefilled
  { pInReady :: Signal dom Bool
  , pOut :: Signal dom (Maybe (Unsigned 4, Unsigned 6, Vec Dim F))
  , pSkids :: Vec 3 (Signal dom Bool, Signal dom Bool)
  , pLayers :: Vec 2 (Signal dom KvTrace)
  }

-- | The wavefront: embedding -> skid -> layer 0 -> skid -> layer 1 -> skid -> head.
-- ROM arguments as in "LlamaDv.Decoder".'decoder': gains (5), matrices and exponents
-- (15: layer-major, classifier last).
prefill
  :: HiddenClockResetEnable dom
  => Bool
  -> (RomRead dom -> Signal dom (Vec Dim Act, ExpS))
  -> Vec 5 (RomRead dom -> Signal dom F)
  -> Vec 15 (RomRead dom -> Signal dom WeightRow)
  -> Vec 15 (RomRead dom -> Signal dom ExpS)
  -> Signal dom Bool -> Signal dom (Unsigned 6) -> Signal dom (Unsigned 4) -> Signal dom Bool
  -> Prefilled dom
prefill lateKv embedRom gainRoms wRoms eRoms iv itok ipos ordy =
  Prefilled inReady out (map skidFlags ((r0, b0) :> (r1, b1) :> (r2, b2) :> Nil)) (tr0 :> tr1 :> Nil)
  where
    (inReady, e) = embedStage embedRom iv itok ipos r0
    (r0, b0) = skid e l0Ready
    (l0Ready, o0, tr0) = layerStage lateKv 0 (take d2 gainRoms) (take d7 wRoms) (take d7 eRoms) b0 r1
    (r1, b1) = skid o0 l1Ready
    (l1Ready, o1, tr1) = layerStage lateKv 1 (take d2 (drop d2 gainRoms)) (take d7 (drop d7 wRoms))
                                    (take d7 (drop d7 eRoms)) b1 r2
    (r2, b2) = skid o1 hReady
    (hReady, out) = headStage (last gainRoms) (last wRoms) (last eRoms) b2 ordy
    skidFlags (rdy, slot) = (isJust <$> slot, rdy)
