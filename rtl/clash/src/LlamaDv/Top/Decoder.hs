-- | The SMALL decoder tops: the decoder and deliberately broken copies of it for the
-- negative tests. Every weight, embedding and gain is read
-- with `$readmemb` from the files `python -m models.export --format bin` writes
-- (`embed_m.memb`, `layer0_wq_m.memb`, ..., `cls_e.memb`), staged in the simulator's
-- working directory, so one generated RTL runs any SMALL weight set.
module LlamaDv.Top.Decoder where

import Clash.Prelude
import LlamaDv.Decoder
import LlamaDv.Numerics

-- | Row-packed words hold element 0 in the least significant byte; Clash's 'unpack'
-- puts element 0 at the most significant end, hence the 'reverse'.
rowOf :: KnownNat n => BitVector (n * 8) -> Vec n Act
rowOf bv = reverse (unpack bv)

memRom
  :: forall d w dom . (HiddenClock dom, KnownNat d, KnownNat w)
  => SNat d -> FilePath -> Signal dom (Unsigned 7) -> Signal dom (BitVector w)
memRom d f a = withEnable enableGen (romFile d f) (fromEnum <$> a)

-- | A matrix of @d@ rows of 64 int8 mantissas, widened to 128 (zeros beyond 64).
narrowRows :: forall dom d . (HiddenClock dom, KnownNat d) => SNat d -> FilePath -> Signal dom (Unsigned 7) -> Signal dom (Vec HiddenDim Act)
narrowRows d f a = (\bv -> rowOf bv ++ repeat 0) <$> (memRom d f a :: Signal dom (BitVector 512))

wideRows :: forall dom . HiddenClock dom => FilePath -> Signal dom (Unsigned 7) -> Signal dom (Vec HiddenDim Act)
wideRows f a = rowOf <$> (memRom d64 f a :: Signal dom (BitVector 1024))

expRom :: (HiddenClock dom, KnownNat d) => SNat d -> FilePath -> Signal dom (Unsigned 7) -> Signal dom ExpS
expRom d f a = unpack <$> memRom d f a

gainRom :: HiddenClock dom => FilePath -> Signal dom (Unsigned 7) -> Signal dom F
gainRom f a = unpack <$> memRom d64 f a

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
    embedRom a = withClock clk $ bundle (narrow <$> memRom d64 "embed_m.memb" a, unpack <$> memRom d64 "embed_e.memb" a)
    narrow :: BitVector 512 -> Vec Dim Act
    narrow = rowOf
    gains = withClock clk
      (gainRom "layer0_rms_att.memb" :> gainRom "layer0_rms_ffn.memb"
       :> gainRom "layer1_rms_att.memb" :> gainRom "layer1_rms_ffn.memb"
       :> gainRom "rms_final.memb" :> Nil)
    -- File names are literals: Clash has no primitive for String concatenation.
    ws = withClock clk (narrowRows d64 "layer0_wq_m.memb"
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
       :> narrowRows d64 "cls_m.memb" :> Nil)
    es = withClock clk (expRom d64 "layer0_wq_e.memb"
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
       :> expRom d64 "cls_e.memb" :> Nil)
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
  , t_inputs = [ PortName "clk", PortName "rst", PortName "in_valid", PortName "in_token"
               , PortName "in_pos", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_token"
                              , PortName "out_logits", PortName "out_cycles", PortName "kv_we"
                              , PortName "kv_addr", PortName "kv_k", PortName "kv_ke"
                              , PortName "kv_v", PortName "kv_ve", PortName "att_valid"
                              , PortName "att_layer", PortName "att_head", PortName "att_updates"
                              , PortName "att_out" ]
  }) #-}

-- | Negative-test copy: KV rows land one row past their position.
decoderSmallKvWrongRow :: DecoderTop
decoderSmallKvWrongRow = wrap KvWrongRow
{-# NOINLINE decoderSmallKvWrongRow #-}
{-# ANN decoderSmallKvWrongRow (Synthesize
  { t_name = "decoder_small_fault_kvrow"
  , t_inputs = [ PortName "clk", PortName "rst", PortName "in_valid", PortName "in_token"
               , PortName "in_pos", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_token"
                              , PortName "out_logits", PortName "out_cycles", PortName "kv_we"
                              , PortName "kv_addr", PortName "kv_k", PortName "kv_ke"
                              , PortName "kv_v", PortName "kv_ve", PortName "att_valid"
                              , PortName "att_layer", PortName "att_head", PortName "att_updates"
                              , PortName "att_out" ]
  }) #-}

-- | Negative-test copy: the online softmax skips its rescale when the running max grows.
decoderSmallNoRescale :: DecoderTop
decoderSmallNoRescale = wrap SkipRescale
{-# NOINLINE decoderSmallNoRescale #-}
{-# ANN decoderSmallNoRescale (Synthesize
  { t_name = "decoder_small_fault_norescale"
  , t_inputs = [ PortName "clk", PortName "rst", PortName "in_valid", PortName "in_token"
               , PortName "in_pos", PortName "out_ready" ]
  , t_output = PortProduct "" [ PortName "in_ready", PortName "out_valid", PortName "out_token"
                              , PortName "out_logits", PortName "out_cycles", PortName "kv_we"
                              , PortName "kv_addr", PortName "kv_k", PortName "kv_ke"
                              , PortName "kv_v", PortName "kv_ve", PortName "att_valid"
                              , PortName "att_layer", PortName "att_head", PortName "att_updates"
                              , PortName "att_out" ]
  }) #-}
