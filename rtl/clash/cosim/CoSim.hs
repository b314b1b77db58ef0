-- | Clash's own simulation of the generated tops, for co-simulation against the
-- Verilog and the numpy golden: `cosim <top> <stimulus> <response>` reads one line of
-- integers per cycle (the top's inputs without clock and reset, a Vec as its elements
-- in order) and writes one line per cycle with the outputs in the same style.
--
-- The decoder tops take some 80 000 cycles per token, so they run differently: the
-- stimulus is one request per line, @token pos@ (token -1: the token the decoder
-- returned last, for greedy decoding), driven by a handshake circuit composed with
-- the top, and the response holds events only (see 'decoderEvents').
-- Memory files (wcls.bin, mac_*.bin, *.memb) are read from the working directory.
module Main (main) where

import Clash.Prelude hiding (map, length, (++), repeat, zip, take, drop, concatMap, last, head)
import qualified Clash.Explicit.Prelude as E
import qualified Clash.Sized.Vector as V
import Prelude (IO, map, length, (++), repeat, readFile, writeFile, lines, words, unlines, unwords, read, error, take, drop, last, concatMap, show, zip, return, fromIntegral)
import qualified Prelude as P
import Data.Proxy (Proxy (..))
import System.Environment (getArgs)
import System.Exit (ExitCode (..), exitWith)
import System.IO (hPutStrLn, stderr)

import LlamaDv.Numerics
import LlamaDv.Top.AttendSeq (attendSeqHd8, attendSeqHd8NoRescale, attendSeqHd16)
import LlamaDv.Top.SoftStep (onlineSoftmaxStep, attendHeadHd8)
import LlamaDv.Top.Argmax (argmaxVocab, argmaxVocabTieHigh)
import LlamaDv.Top.Mac (macMatvecTop)
import LlamaDv.Top.Decoder (DecoderTop, decoderSmall, decoderSmallKvWrongRow, decoderSmallNoRescale)

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

-- | One decoder request: a token (Nothing: the one the decoder returned last) and its position.
type Request = (Maybe (Unsigned 6), Unsigned 4)

-- | Requests per stimulus line @token pos@, token -1 meaning the previous result.
requests :: [[Integer]] -> [Request]
requests = map go
  where
    go [tk, p]
      | tk < -1 || tk > 63 || p < 0 || p > 15 = error ("cosim: request out of range: " ++ show [tk, p])
      | otherwise = (if tk < 0 then Nothing else Just (fromInteger tk), fromInteger p)
    go l = error ("cosim: a decoder request is `token pos`, got " ++ show l)

-- | The testbench side of the decoder handshakes as a Mealy machine over (next
-- request, waiting for a result, last token returned): it raises in_valid with the
-- next request whenever none is outstanding, holds out_ready high and remembers each
-- returned token. Its outputs are (in_valid, in_token, in_pos, out_ready, all done).
tokenDriver :: [Request] -> (Unsigned 16, Bool, Unsigned 6) -> (Bool, Bool, Unsigned 6)
            -> ((Unsigned 16, Bool, Unsigned 6), (Bool, Unsigned 6, Unsigned 4, Bool, Bool))
tokenDriver reqs (k, waiting, lastTok) (inReady, outValid, outTok) =
  ((k', waiting', lastTok'), (pending, tokIn, posIn, True, not waiting && not more))
  where
    more = fromIntegral k < length reqs
    pending = not waiting && more
    (rt, posIn) = if more then reqs P.!! fromIntegral k else (Nothing, 0)
    tokIn = if pending then maybe lastTok id rt else 0
    accepted = pending && inReady
    k' = if accepted then k + 1 else k
    waiting' = (waiting && not outValid) || accepted
    lastTok' = if waiting && outValid then outTok else lastTok

-- | Cycle budget of one request (a token takes about 80 000 cycles).
cyclesPerRequest :: Int
cyclesPerRequest = 150000

-- | Event lines of the decoder top under 'tokenDriver', each led by its cycle number:
--
-- * @A cycle token pos@: a request accepted (in_valid and in_ready out of reset);
-- * @K cycle addr k(16) ke v(16) ve@: a KV-cache row written;
-- * @H cycle layer head updates out(16)@: an attention head finished;
-- * @O cycle token cycles logits(64)@: a result presented (out_valid);
-- * last, @E cycle@ when every request has its result, or @T cycle@ when the cycle
--   budget ran out first.
decoderEvents :: DecoderTop -> [Request] -> [String]
decoderEvents top reqs = go (zip [0 :: Int ..] (E.sample out))
  where
    clk = E.clockGen
    rst = E.resetGen
    drv = E.mealy clk rst E.enableGen (tokenDriver reqs) (0, False, 0) (bundle (inReady, outValid, outTok))
    (iv, itok, ipos, ordy, done) = unbundle drv
    (inReady, outValid, outTok, logits, cycles, kvWe, kvA, kvK, kvKe, kvV, kvVe, attV, attL, attH, attU, attO) =
      top clk rst iv itok ipos ordy
    out = bundle ( bundle (iv, inReady, itok, ipos, done, E.unsafeToHighPolarity rst)
                 , bundle (outValid, outTok, cycles, logits)
                 , bundle (kvWe, kvA, kvK, kvKe, kvV, kvVe)
                 , bundle (attV, attL, attH, attU, attO) )
    budget = 2 + cyclesPerRequest * length reqs
    go [] = []
    go ((n, ((v, rdy, tk, p, fin, inReset), (ov, ot, oc, ol), (we, wa, wk, wke, wv, wve), (av, al, ah, au, ao))) : rest)
      | inReset = go rest
      | fin = [line "E" []]
      | n >= budget = [line "T" []]
      | otherwise = [line "A" [toInteger tk, toInteger p] | v && rdy]
          ++ [line "K" ([toInteger wa] ++ ints (toList wk) ++ [toInteger wke] ++ ints (toList wv) ++ [toInteger wve]) | we]
          ++ [line "H" ([toInteger al, toInteger ah, toInteger au] ++ ints (toList ao)) | av]
          ++ [line "O" ([toInteger ot, toInteger oc] ++ ints (toList ol)) | ov]
          ++ go rest
      where
        line tag xs = unwords (tag : show n : map show xs)

decoderTop :: String -> DecoderTop
decoderTop top = case top of
  "decoder_small" -> decoderSmall
  "decoder_small_fault_kvrow" -> decoderSmallKvWrongRow
  "decoder_small_fault_norescale" -> decoderSmallNoRescale
  _ -> error ("cosim: unknown top " ++ top)

-- | Run a decoder top; exit 3 (after writing the events so far) if its budget ran out.
runDecoder :: String -> FilePath -> FilePath -> IO ()
runDecoder top inFile outFile = do
  rows <- map (map read . words) . lines <$> readFile inFile
  let events = decoderEvents (decoderTop top) (requests rows)
  writeFile outFile (unlines events)
  case words (last events) of
    ("T" : n : _) -> do
      hPutStrLn stderr ("cosim " ++ top ++ ": no result after " ++ n ++ " cycles")
      exitWith (ExitFailure 3)
    _ -> return ()

main :: IO ()
main = do
  args <- getArgs
  case args of
    [top, inFile, outFile] | take 13 top == "decoder_small" -> runDecoder top inFile outFile
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
