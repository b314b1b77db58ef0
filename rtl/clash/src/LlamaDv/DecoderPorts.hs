-- | Port names of the decoder and prefill tops, shared by their 'Synthesize'
-- annotations (an annotation may only use values of another module).
module LlamaDv.DecoderPorts (decoderInputs, decoderOutputs, prefillOutputs) where

import Clash.Prelude

-- | clock, reset, token request, response ready.
decoderInputs :: [PortName]
decoderInputs =
  [ PortName "clk", PortName "rst", PortName "in_valid", PortName "in_token"
  , PortName "in_pos", PortName "out_ready" ]

-- | Token interface, KV write port and finished attention head.
decoderOutputs :: PortName
decoderOutputs = PortProduct ""
  [ PortName "in_ready", PortName "out_valid", PortName "out_token", PortName "out_logits"
  , PortName "out_cycles", PortName "kv_we", PortName "kv_addr", PortName "kv_k"
  , PortName "kv_ke", PortName "kv_v", PortName "kv_ve", PortName "att_valid"
  , PortName "att_layer", PortName "att_head", PortName "att_updates", PortName "att_out" ]

-- | Token interface, skid-buffer handshakes and, per layer ("l0", "l1"), the KV RAM's
-- ports, the position being worked on and a busy flag.
prefillOutputs :: PortName
prefillOutputs = PortProduct ""
  [ PortName "in_ready", PortName "out_valid", PortName "out_pos", PortName "out_token"
  , PortName "out_logits"
  , PortProduct "" [ PortName "l0_in_valid", PortName "emb_out_ready", PortName "l1_in_valid"
                   , PortName "l0_out_ready", PortName "head_in_valid", PortName "l1_out_ready" ]
  , layerPorts "l0", layerPorts "l1" ]
  where
    layerPorts prefix = PortProduct prefix
      [ PortName "busy", PortName "pos", PortName "kv_we", PortName "kv_waddr", PortName "kv_k"
      , PortName "kv_ke", PortName "kv_v", PortName "kv_ve", PortName "kv_re", PortName "kv_raddr" ]
