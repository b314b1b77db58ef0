-- | The SMALL model's weight memories for the decoder and prefill tops: every ROM is
-- read with `$readmemb` from the files `python -m models.export --format bin` writes
-- (`embed_m.memb`, `layer0_wq_m.memb`, ..., `cls_e.memb`), staged in the simulator's
-- working directory, so one generated RTL runs any SMALL weight set.
--
-- A module of its own, without tops: Clash synthesises every annotated top of every
-- module a top imports, so the decoder and prefill tops must not import each other.
module LlamaDv.Memories (SmallMemories (..), smallMemories) where

import Clash.Prelude
import LlamaDv.Decoder (Dim, RomRead, WeightRow)
import LlamaDv.Numerics

-- | Readers with one cycle of latency, each with a read enable: the embedding, the
-- five RMSNorm gains (attention and FFN of layer 0, of layer 1, final), and the 15
-- matrices' mantissa rows and row exponents (layer-major Wq Wk Wv Wo W1 W2 W3, the
-- classifier last).
data SmallMemories dom = SmallMemories
  { memEmbed :: RomRead dom -> Signal dom (Vec Dim Act, ExpS)
  , memGains :: Vec 5 (RomRead dom -> Signal dom F)
  , memRows :: Vec 15 (RomRead dom -> Signal dom WeightRow)
  , memExps :: Vec 15 (RomRead dom -> Signal dom ExpS)
  }

-- | Row-packed words hold element 0 in the least significant byte; Clash's 'unpack'
-- puts element 0 at the most significant end, hence the 'reverse'.
rowOf :: KnownNat n => BitVector (n * 8) -> Vec n Act
rowOf bv = reverse (unpack bv)

memRom
  :: forall d w dom . (HiddenClock dom, KnownNat d, KnownNat w)
  => SNat d -> FilePath -> RomRead dom -> Signal dom (BitVector w)
memRom d f (en, a) = withEnable (toEnable en) (romFile d f) (fromEnum <$> a)

-- | A matrix of @d@ rows of 64 int8 mantissas, zero-extended to a 128-wide row.
narrowRows :: forall dom d . (HiddenClock dom, KnownNat d) => SNat d -> FilePath -> RomRead dom -> Signal dom WeightRow
narrowRows d f rd = zeroExtend <$> (memRom d f rd :: Signal dom (BitVector 512))

wideRows :: HiddenClock dom => FilePath -> RomRead dom -> Signal dom WeightRow
wideRows = memRom d64

expRom :: (HiddenClock dom, KnownNat d) => SNat d -> FilePath -> RomRead dom -> Signal dom ExpS
expRom d f rd = unpack <$> memRom d f rd

gainRom :: HiddenClock dom => FilePath -> RomRead dom -> Signal dom F
gainRom f rd = unpack <$> memRom d64 f rd

embedRom :: forall dom . HiddenClock dom => RomRead dom -> Signal dom (Vec Dim Act, ExpS)
embedRom rd = bundle (rowOf <$> (memRom d64 "embed_m.memb" rd :: Signal dom (BitVector 512)), unpack <$> memRom d64 "embed_e.memb" rd)

-- | File names are literals: Clash has no primitive for String concatenation.
smallMemories :: HiddenClock dom => SmallMemories dom
smallMemories = SmallMemories embedRom gains ws es
  where
    gains = gainRom "layer0_rms_att.memb" :> gainRom "layer0_rms_ffn.memb"
       :> gainRom "layer1_rms_att.memb" :> gainRom "layer1_rms_ffn.memb"
       :> gainRom "rms_final.memb" :> Nil
    ws = narrowRows d64 "layer0_wq_m.memb"
       :> narrowRows d32 "layer0_wk_m.memb"
       :> narrowRows d32 "layer0_wv_m.memb"
       :> narrowRows d64 "layer0_wo_m.memb"
       :> narrowRows d128 "layer0_w1_m.memb"
       :> wideRows "layer0_w2_m.memb"
       :> narrowRows d128 "layer0_w3_m.memb"
       :> narrowRows d64 "layer1_wq_m.memb"
       :> narrowRows d32 "layer1_wk_m.memb"
       :> narrowRows d32 "layer1_wv_m.memb"
       :> narrowRows d64 "layer1_wo_m.memb"
       :> narrowRows d128 "layer1_w1_m.memb"
       :> wideRows "layer1_w2_m.memb"
       :> narrowRows d128 "layer1_w3_m.memb"
       :> narrowRows d64 "cls_m.memb" :> Nil
    es = expRom d64 "layer0_wq_e.memb"
       :> expRom d32 "layer0_wk_e.memb"
       :> expRom d32 "layer0_wv_e.memb"
       :> expRom d64 "layer0_wo_e.memb"
       :> expRom d128 "layer0_w1_e.memb"
       :> expRom d64 "layer0_w2_e.memb"
       :> expRom d128 "layer0_w3_e.memb"
       :> expRom d64 "layer1_wq_e.memb"
       :> expRom d32 "layer1_wk_e.memb"
       :> expRom d32 "layer1_wv_e.memb"
       :> expRom d64 "layer1_wo_e.memb"
       :> expRom d128 "layer1_w1_e.memb"
       :> expRom d64 "layer1_w2_e.memb"
       :> expRom d128 "layer1_w3_e.memb"
       :> expRom d64 "cls_e.memb" :> Nil
