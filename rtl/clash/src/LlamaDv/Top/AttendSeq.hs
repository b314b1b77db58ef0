-- | Sequential attention tops (M1): HeadDim 8 as in the milestone, a broken variant
-- that skips the online-softmax rescale (for negative tests), and HeadDim 16 as used
-- by the decoder configuration.
module LlamaDv.Top.AttendSeq where

import Clash.Prelude
import LlamaDv.Attention
import LlamaDv.Numerics
import LlamaDv.Tables (invSqrtHd8, invSqrtHd16)

type AttendTop hd
  = Clock System -> Reset System
  -> Signal System Bool -> Signal System (Unsigned 4)
  -> Signal System (Vec hd Act) -> Signal System ExpS
  -> Signal System (Vec hd Act) -> Signal System ExpS
  -> Signal System Bool -> Signal System (Unsigned 4) -> Signal System (Vec hd F)
  -> Signal System Bool
  -> ( Signal System Bool, Signal System Bool, Signal System (Vec hd F)
     , Signal System (Unsigned 5), Signal System (Unsigned 16), Signal System (Unsigned 4) )

wrap :: (KnownNat hd, 1 <= hd) => Bool -> Wide -> AttendTop hd
wrap rescale isq clk rst we wa wk wke wv wve iv pos q ordy =
  withClockResetEnable clk rst enableGen $
    attendSequential rescale isq (mkWr <$> we <*> wa <*> wk <*> wke <*> wv <*> wve) iv pos q ordy
  where
    mkWr e a k ke v ve = if e then Just (a, (k, ke, v, ve)) else Nothing

attendSeqHd8 :: AttendTop 8
attendSeqHd8 = wrap True invSqrtHd8
{-# NOINLINE attendSeqHd8 #-}
{-# ANN attendSeqHd8 (Synthesize
  { t_name = "attend_seq_hd8"
  , t_inputs = [ PortName "clk", PortName "rst"
               , PortName "kv_we", PortName "kv_waddr", PortName "kv_wk", PortName "kv_wke"
               , PortName "kv_wv", PortName "kv_wve"
               , PortName "in_valid", PortName "in_pos", PortName "in_q", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_data"
                              , PortName "out_max_updates", PortName "out_cycles", PortName "kv_raddr" ]
  }) #-}

attendSeqHd8NoRescale :: AttendTop 8
attendSeqHd8NoRescale = wrap False invSqrtHd8
{-# NOINLINE attendSeqHd8NoRescale #-}
{-# ANN attendSeqHd8NoRescale (Synthesize
  { t_name = "attend_seq_hd8_fault_norescale"
  , t_inputs = [ PortName "clk", PortName "rst"
               , PortName "kv_we", PortName "kv_waddr", PortName "kv_wk", PortName "kv_wke"
               , PortName "kv_wv", PortName "kv_wve"
               , PortName "in_valid", PortName "in_pos", PortName "in_q", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_data"
                              , PortName "out_max_updates", PortName "out_cycles", PortName "kv_raddr" ]
  }) #-}

attendSeqHd16 :: AttendTop 16
attendSeqHd16 = wrap True invSqrtHd16
{-# NOINLINE attendSeqHd16 #-}
{-# ANN attendSeqHd16 (Synthesize
  { t_name = "attend_seq_hd16"
  , t_inputs = [ PortName "clk", PortName "rst"
               , PortName "kv_we", PortName "kv_waddr", PortName "kv_wk", PortName "kv_wke"
               , PortName "kv_wv", PortName "kv_wve"
               , PortName "in_valid", PortName "in_pos", PortName "in_q", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_data"
                              , PortName "out_max_updates", PortName "out_cycles", PortName "kv_raddr" ]
  }) #-}
