-- | The shared MAC engine top (M2): weights in `mac_w.bin` (65536 int8 words, row-major
-- matrices one after another), row exponents in `mac_e.bin` (1024 words), both staged
-- in the simulator's working directory.
module LlamaDv.Top.Mac where

import Clash.Prelude
import LlamaDv.MacEngine
import LlamaDv.Numerics

macMatvecTop
  :: Clock System -> Reset System
  -> Signal System Bool -> Signal System (Unsigned 16) -> Signal System (Unsigned 10)
  -> Signal System (Unsigned 8) -> Signal System (Unsigned 8)
  -> Signal System (Vec MaxCols Act) -> Signal System ExpS -> Signal System Bool
  -> (Signal System Bool, Signal System Bool, Signal System (Vec MaxCols F), Signal System (Unsigned 32))
macMatvecTop clk rst iv wb eb nr nc xm xe ordy =
  withClockResetEnable clk rst enableGen $ macMatvec wRom eRom iv wb eb nr nc xm xe ordy
  where
    wRom a = unpack <$> romFile (SNat @65536) "mac_w.bin" a
    eRom a = unpack <$> romFile (SNat @1024) "mac_e.bin" a
{-# NOINLINE macMatvecTop #-}
{-# ANN macMatvecTop (Synthesize
  { t_name = "mac_matvec"
  , t_inputs = [ PortName "clk", PortName "rst", PortName "in_valid", PortName "in_w_base"
               , PortName "in_e_base", PortName "in_rows", PortName "in_cols", PortName "in_x"
               , PortName "in_xe", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_y"
                              , PortName "out_cycles" ]
  }) #-}
