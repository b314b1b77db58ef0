-- | The M4 prefill pipeline tops: `decoder_prefill` and its deliberately broken twin
-- `decoder_prefill_fault_latekv` (KV writes reach the RAM two cycles late, so a row is
-- read in the cycle it is written). Memories are the `$readmemb` files of
-- `python -m models.export --format bin` ("LlamaDv.Memories"), as for
-- `decoder_small`.
--
-- Besides the token interface the tops expose, per layer, the KV RAM's write port,
-- the attention read (enable, row), the position being worked on and a busy flag, and
-- per skid buffer its output valid and input ready, for the environment's monitors.
--
-- The tops run in 'Prefill', a copy of Clash's System domain whose registers have no
-- initial value (@Unknown@ init): with System's initial values equal to the reset
-- values, no register changes at reset, and Icarus never evaluates an `always @(*)`
-- block whose inputs keep their time-0 value (it left a layer's next phase at X).
module LlamaDv.Top.Prefill where

import Clash.Prelude
import LlamaDv.Attention (KvRow)
import LlamaDv.Decoder (Dim)
import LlamaDv.DecoderPorts (decoderInputs, prefillOutputs)
import LlamaDv.Numerics
import LlamaDv.Prefill
import LlamaDv.Memories (SmallMemories (..), smallMemories)

createDomain vSystem { vName = "Prefill", vInitBehavior = Unknown }

-- | One layer's observability ports (port names in the annotations below).
type LayerPorts =
  ( Signal Prefill Bool, Signal Prefill (Unsigned 4)
  , Signal Prefill Bool, Signal Prefill (Unsigned 5)
  , Signal Prefill (Vec 16 Act), Signal Prefill ExpS, Signal Prefill (Vec 16 Act), Signal Prefill ExpS
  , Signal Prefill Bool, Signal Prefill (Unsigned 5) )

type PrefillPorts =
  ( Signal Prefill Bool, Signal Prefill Bool, Signal Prefill (Unsigned 4), Signal Prefill (Unsigned 6)
  , Signal Prefill (Vec Dim F)
  , ( Signal Prefill Bool, Signal Prefill Bool, Signal Prefill Bool, Signal Prefill Bool
    , Signal Prefill Bool, Signal Prefill Bool )
  , LayerPorts, LayerPorts )

layerPorts :: Signal Prefill KvTrace -> LayerPorts
layerPorts tr = (kvBusy <$> tr, kvPos <$> tr, we, wa, k, ke, v, ve, re, ra)
  where
    wr = kvWrite <$> tr
    we = maybe False (const True) <$> wr
    wa = maybe 0 fst <$> wr
    row = maybe (repeat 0, 0, repeat 0, 0) snd <$> wr :: Signal Prefill (KvRow 16)
    (k, ke, v, ve) = unbundle row
    re = maybe False (const True) . kvRead <$> tr
    ra = maybe 0 id . kvRead <$> tr

prefillTop
  :: Bool -> Clock Prefill -> Reset Prefill
  -> Signal Prefill Bool -> Signal Prefill (Unsigned 6) -> Signal Prefill (Unsigned 4) -> Signal Prefill Bool
  -> PrefillPorts
prefillTop lateKv clk rst iv itok ipos ordy =
  ( pInReady p, isJustS, maybe 0 (\(a, _, _) -> a) <$> pOut p, maybe 0 (\(_, b, _) -> b) <$> pOut p
  , maybe (repeat 0) (\(_, _, c) -> c) <$> pOut p
  , (v0, r0, v1, r1, v2, r2)
  , layerPorts (head (pLayers p)), layerPorts (last (pLayers p)) )
  where
    p = withClockResetEnable clk rst enableGen $ prefill lateKv embedRom gains ws es iv itok ipos ordy
    isJustS = maybe False (const True) <$> pOut p
    (v0, r0) = pSkids p !! (0 :: Int)
    (v1, r1) = pSkids p !! (1 :: Int)
    (v2, r2) = pSkids p !! (2 :: Int)
    SmallMemories embedRom gains ws es = withClock clk smallMemories

decoderPrefill
  :: Clock Prefill -> Reset Prefill
  -> Signal Prefill Bool -> Signal Prefill (Unsigned 6) -> Signal Prefill (Unsigned 4) -> Signal Prefill Bool
  -> PrefillPorts
decoderPrefill = prefillTop False
{-# NOINLINE decoderPrefill #-}
{-# ANN decoderPrefill (Synthesize
  { t_name = "decoder_prefill"
  , t_inputs = decoderInputs
  , t_output = prefillOutputs
  }) #-}

decoderPrefillFaultLateKv
  :: Clock Prefill -> Reset Prefill
  -> Signal Prefill Bool -> Signal Prefill (Unsigned 6) -> Signal Prefill (Unsigned 4) -> Signal Prefill Bool
  -> PrefillPorts
decoderPrefillFaultLateKv = prefillTop True
{-# NOINLINE decoderPrefillFaultLateKv #-}
{-# ANN decoderPrefillFaultLateKv (Synthesize
  { t_name = "decoder_prefill_fault_latekv"
  , t_inputs = decoderInputs
  , t_output = prefillOutputs
  }) #-}

