-- | Clash's own simulation of the generated tops, for co-simulation against the
-- Verilog and the numpy golden: `cosim <top> <stimulus> <response>` reads one line of
-- integers per cycle (the top's inputs without clock and reset, a Vec as its elements
-- in order) and writes one line per cycle with the outputs in the same style.
-- Memory files (wcls.bin, mac_*.bin) are read from the working directory.
module Main (main) where

import Clash.Prelude hiding (map, length, (++), repeat, zip, take, drop, concatMap, last, head)
import qualified Clash.Explicit.Prelude as E
import qualified Clash.Sized.Vector as V
import Prelude (IO, map, length, (++), repeat, readFile, writeFile, lines, words, unlines, unwords, read, error, take, drop, last, concatMap)
import Data.Proxy (Proxy (..))
import System.Environment (getArgs)

import LlamaDv.Numerics
import LlamaDv.Top.AttendSeq (attendSeqHd8, attendSeqHd8NoRescale, attendSeqHd16)
import LlamaDv.Top.SoftStep (onlineSoftmaxStep, attendHeadHd8)
import LlamaDv.Top.Argmax (argmaxVocab, argmaxVocabTieHigh)
import LlamaDv.Top.Mac (macMatvecTop)

-- | Consume the first n integers of a line as a Vec.
vec :: forall n a . (KnownNat n, Num a) => [Integer] -> (Vec n a, [Integer])
vec xs = (V.unsafeFromList (map fromInteger (take n xs)), drop n xs)
  where n = fromInteger (natVal (Proxy @n))

one1 :: Num a => [Integer] -> (a, [Integer])
one1 (x : xs) = (fromInteger x, xs)
one1 [] = error "cosim: stimulus line too short"

bool :: [Integer] -> (Bool, [Integer])
bool (x : xs) = (x /= 0, xs)
bool [] = error "cosim: stimulus line too short"

ints :: (Integral a) => [a] -> [Integer]
ints = map toInteger

b2i :: Bool -> Integer
b2i b = if b then 1 else 0

-- | Signals from per-cycle input lines (the last line repeats forever).
sig :: NFDataX a => [a] -> Signal dom a
sig xs = E.fromList (xs ++ repeat (last xs))

attendSeq :: forall hd . (KnownNat hd)
          => (Clock System -> Reset System -> Signal System Bool -> Signal System (Unsigned 4)
              -> Signal System (Vec hd Act) -> Signal System ExpS -> Signal System (Vec hd Act)
              -> Signal System ExpS -> Signal System Bool -> Signal System (Unsigned 4)
              -> Signal System (Vec hd F) -> Signal System Bool
              -> ( Signal System Bool, Signal System Bool, Signal System (Vec hd F)
                 , Signal System (Unsigned 5), Signal System (Unsigned 16), Signal System (Unsigned 4) ))
          -> [[Integer]] -> [[Integer]]
attendSeq top rows = map flat (E.sampleN (length rows) (bundle outs))
  where
    parse l0 =
      let (we, l1) = bool l0; (wa, l2) = one1 l1; (wk, l3) = vec @hd l2; (wke, l4) = one1 l3
          (wv, l5) = vec @hd l4; (wve, l6) = one1 l5; (iv, l7) = bool l6; (pos, l8) = one1 l7
          (q, l9) = vec @hd l8; (ordy, _) = bool l9
      in (we, wa, wk, wke, wv, wve, iv, pos, q, ordy)
    (we, wa, wk, wke, wv, wve, iv, pos, q, ordy) = unbundle (sig (map parse rows))
    outs = top E.clockGen E.resetGen we wa wk wke wv wve iv pos q ordy
    flat (ir, ov, d, u, c, a) = [b2i ir, b2i ov] ++ ints (toList d) ++ [toInteger u, toInteger c, toInteger a]

softStepRows :: [[Integer]] -> [[Integer]]
softStepRows = map go
  where
    go l0 =
      let (first, l1) = bool l0; (mx, l2) = one1 l1; (d, l3) = one1 l2; (acc, l4) = vec @8 l3
          (s, l5) = one1 l4; (v, l6) = vec @8 l5; (ev, _) = one1 l6
          (mx', d', acc', upd, out) = onlineSoftmaxStep first mx d acc s v ev
      in [toInteger mx', toInteger d'] ++ ints (toList acc') ++ [b2i upd] ++ ints (toList out)

attendHeadRows :: [[Integer]] -> [[Integer]]
attendHeadRows = map go
  where
    go l0 =
      let (pos, l1) = one1 l0; (q, l2) = vec @8 l1
          (k, l3) = vecs l2; (ke, l4) = vec @16 l3; (v, l5) = vecs l4; (ve, _) = vec @16 l5
      in ints (toList (attendHeadHd8 pos q k ke v ve))
    vecs :: [Integer] -> (Vec 16 (Vec 8 Act), [Integer])
    vecs xs = (V.unsafeFromList [fst (vec @8 (drop (8 * i) xs)) | i <- [0 .. 15]], drop 128 xs)

argmaxRows :: Bool -> [[Integer]] -> [[Integer]]
argmaxRows strict rows = map flat (E.sampleN (length rows) (bundle outs))
  where
    parse l0 = let (iv, l1) = bool l0; (x, l2) = vec @64 l1; (xe, l3) = one1 l2; (ordy, _) = bool l3
               in (iv, x, xe, ordy)
    (iv, x, xe, ordy) = unbundle (sig (map parse rows))
    top = if strict then argmaxVocab else argmaxVocabTieHigh
    outs = top E.clockGen E.resetGen iv x xe ordy
    flat (ir, ov, t, l, c, a) = [b2i ir, b2i ov, toInteger t, toInteger l, toInteger c, toInteger a]

macRows :: [[Integer]] -> [[Integer]]
macRows rows = map flat (E.sampleN (length rows) (bundle outs))
  where
    parse l0 = let (iv, l1) = bool l0; (wb, l2) = one1 l1; (eb, l3) = one1 l2; (nr, l4) = one1 l3
                   (nc, l5) = one1 l4; (x, l6) = vec @128 l5; (xe, l7) = one1 l6; (ordy, _) = bool l7
               in (iv, wb, eb, nr, nc, x, xe, ordy)
    (iv, wb, eb, nr, nc, x, xe, ordy) = unbundle (sig (map parse rows))
    outs = macMatvecTop E.clockGen E.resetGen iv wb eb nr nc x xe ordy
    flat (ir, ov, y, c) = [b2i ir, b2i ov] ++ ints (toList y) ++ [toInteger c]

main :: IO ()
main = do
  args <- getArgs
  case args of
    [top, inFile, outFile] -> do
      rows <- map (map read . words) . lines <$> readFile inFile
      let run = case top of
            "attend_seq_hd8" -> attendSeq attendSeqHd8
            "attend_seq_hd8_fault_norescale" -> attendSeq attendSeqHd8NoRescale
            "attend_seq_hd16" -> attendSeq attendSeqHd16
            "online_softmax_step" -> softStepRows
            "attend_head_hd8" -> attendHeadRows
            "argmax_vocab" -> argmaxRows True
            "argmax_vocab_fault_tiehigh" -> argmaxRows False
            "mac_matvec" -> macRows
            _ -> error ("cosim: unknown top " ++ top)
      writeFile outFile (unlines (map (unwords . map show) (run rows)))
    _ -> error "usage: cosim <top> <stimulus> <response>"
