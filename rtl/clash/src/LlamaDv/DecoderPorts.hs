-- | Port names of the decoder tops, shared by their 'Synthesize' annotations (an
-- annotation may only use values of another module).
module LlamaDv.DecoderPorts (decoderInputs, decoderOutputs) where

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
