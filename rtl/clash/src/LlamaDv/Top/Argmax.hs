-- | Argmax row-scan tops (M3) over a 64-row vocabulary ROM of 64-wide classifier rows
-- (`wcls.bin`, staged in the simulator's working directory), and the broken variant
-- that lets ties go to the highest index.
module LlamaDv.Top.Argmax where

import Clash.Prelude
import LlamaDv.Argmax
import LlamaDv.Numerics

type Vocab = 64
type Dim = 64

type ArgmaxTop
  = Clock System -> Reset System
  -> Signal System Bool -> Signal System (Vec Dim Act) -> Signal System ExpS -> Signal System Bool
  -> ( Signal System Bool, Signal System Bool, Signal System (Index Vocab), Signal System F
     , Signal System (Unsigned 16), Signal System (Index Vocab) )

-- | The vocabulary ROM: row i packs (Vec Dim Act, ExpS), mantissa 0 most significant.
vocabRom :: HiddenClock System => Signal System (Index Vocab) -> Signal System (Vec Dim Act, ExpS)
vocabRom a = unpack <$> withEnable enableGen (romFile (SNat @Vocab) "wcls.bin") a

wrap :: Bool -> ArgmaxTop
wrap strict clk rst iv xm xe ordy =
  withClockResetEnable clk rst enableGen $ argmaxScan strict vocabRom iv xm xe ordy

argmaxVocab :: ArgmaxTop
argmaxVocab = wrap True
{-# NOINLINE argmaxVocab #-}
{-# ANN argmaxVocab (Synthesize
  { t_name = "argmax_vocab"
  , t_inputs = [ PortName "clk", PortName "rst", PortName "in_valid", PortName "in_x"
               , PortName "in_xe", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_token"
                              , PortName "out_logit", PortName "out_cycles", PortName "rom_addr" ]
  }) #-}

argmaxVocabTieHigh :: ArgmaxTop
argmaxVocabTieHigh = wrap False
{-# NOINLINE argmaxVocabTieHigh #-}
{-# ANN argmaxVocabTieHigh (Synthesize
  { t_name = "argmax_vocab_fault_tiehigh"
  , t_inputs = [ PortName "clk", PortName "rst", PortName "in_valid", PortName "in_x"
               , PortName "in_xe", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_token"
                              , PortName "out_logit", PortName "out_cycles", PortName "rom_addr" ]
  }) #-}
