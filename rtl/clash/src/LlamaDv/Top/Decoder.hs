-- | The SMALL decoder tops: the decoder and deliberately broken copies of it for the
-- negative tests. Weights, embeddings and gains are the `$readmemb` files of
-- "LlamaDv.Memories", so one generated RTL runs any SMALL weight set.
module LlamaDv.Top.Decoder where

import Clash.Prelude
import LlamaDv.Decoder
import LlamaDv.Memories (SmallMemories (..), smallMemories)
import LlamaDv.Numerics
import LlamaDv.DecoderPorts (decoderInputs, decoderOutputs)

-- | A copy of Clash's System domain (10 ns, asynchronous active-high reset) whose
-- registers have no initial value. With System's initial values equal to the reset
-- values nothing changes at reset, and Icarus never evaluates an `always @(*)` block
-- whose inputs keep their time-0 value: the FSM's next state stayed X.
createDomain vSystem { vName = "Decoder", vInitBehavior = Unknown }

-- | Ports of every decoder top: clock, reset, token request, response ready; then
-- (in_ready, out_valid, out_token, out_logits, out_cycles), the KV write port
-- (kv_we, kv_addr, kv_k, kv_ke, kv_v, kv_ve) and the finished attention head
-- (att_valid, att_layer, att_head, att_updates, att_out).
type DecoderTop
  = Clock Decoder -> Reset Decoder
  -> Signal Decoder Bool -> Signal Decoder (Unsigned 6) -> Signal Decoder (Unsigned 4)
  -> Signal Decoder Bool
  -> ( Signal Decoder Bool, Signal Decoder Bool, Signal Decoder (Unsigned 6)
     , Signal Decoder (Vec Dim F), Signal Decoder (Unsigned 32)
     , Signal Decoder Bool, Signal Decoder (Unsigned 6)
     , Signal Decoder (Vec 16 Act), Signal Decoder ExpS, Signal Decoder (Vec 16 Act), Signal Decoder ExpS
     , Signal Decoder Bool, Signal Decoder (Unsigned 1), Signal Decoder (Unsigned 2)
     , Signal Decoder (Unsigned 5), Signal Decoder (Vec 16 F) )

wrap :: DecoderFault -> DecoderTop
wrap fault clk rst iv itok ipos ordy =
  ( inReady, outValid, tok, logits, cycles, kvWe, kvA, kvK, kvKe, kvV, kvVe
  , attV, attL, attH, attU, attO )
  where
    (inReady, outValid, tok, logits, cycles, kvWr, att) =
      withClockResetEnable clk rst enableGen $ decoder fault embedRom gains ws es iv itok ipos ordy
    SmallMemories embedRom gains ws es = withClock clk smallMemories
    kvWe = maybe False (const True) <$> kvWr
    kvA = maybe 0 fst <$> kvWr
    kvRow = maybe (repeat 0, 0, repeat 0, 0) snd <$> kvWr
    (kvK, kvKe, kvV, kvVe) = unbundle kvRow
    attV = maybe False (const True) <$> att
    (attL, attH, attU, attO) = unbundle (maybe (0, 0, 0, repeat 0) id <$> att)

decoderSmall :: DecoderTop
decoderSmall = wrap NoFault
{-# NOINLINE decoderSmall #-}
{-# ANN decoderSmall (Synthesize
  { t_name = "decoder_small"
  , t_inputs = decoderInputs
  , t_output = decoderOutputs
  }) #-}

-- | Negative-test copy: KV rows land one row past their position.
decoderSmallKvWrongRow :: DecoderTop
decoderSmallKvWrongRow = wrap KvWrongRow
{-# NOINLINE decoderSmallKvWrongRow #-}
{-# ANN decoderSmallKvWrongRow (Synthesize
  { t_name = "decoder_small_fault_kvrow"
  , t_inputs = decoderInputs
  , t_output = decoderOutputs
  }) #-}

-- | Negative-test copy: the online softmax skips its rescale when the running max grows.
decoderSmallNoRescale :: DecoderTop
decoderSmallNoRescale = wrap SkipRescale
{-# NOINLINE decoderSmallNoRescale #-}
{-# ANN decoderSmallNoRescale (Synthesize
  { t_name = "decoder_small_fault_norescale"
  , t_inputs = decoderInputs
  , t_output = decoderOutputs
  }) #-}

-- | Negative-test copy: the cycle counter leaves out the 64 cycles of the argmax scan.
decoderSmallMiscount :: DecoderTop
decoderSmallMiscount = wrap MiscountCycles
{-# NOINLINE decoderSmallMiscount #-}
{-# ANN decoderSmallMiscount (Synthesize
  { t_name = "decoder_small_fault_cycles"
  , t_inputs = decoderInputs
  , t_output = decoderOutputs
  }) #-}
