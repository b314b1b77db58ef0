#!/usr/bin/env bash
# Compile the Clash-simulation co-sim driver (CoSim.hs) with ghc and Clash's language
# settings: rtl/clash/cosim/build.sh <output-binary>. The binary takes GHC runtime
# options (e.g. `+RTS -s -RTS` for its time and memory figures).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh <output-binary>}"
obj="$(dirname "$out")/obj"
mkdir -p "$obj"
exts=(BinaryLiterals ConstraintKinds DataKinds DeriveAnyClass DeriveGeneric DeriveLift
      DerivingStrategies ExplicitForAll ExplicitNamespaces FlexibleContexts KindSignatures
      MagicHash MonoLocalBinds NoImplicitPrelude NoStarIsType NoStrictData NoStrict
      QuasiQuotes ScopedTypeVariables TemplateHaskell TypeApplications TypeFamilies
      TypeOperators)
exec ghc -O1 -rtsopts -i"$here/../src" -outputdir "$obj" -o "$out" "${exts[@]/#/-X}" \
  -fplugin=GHC.TypeLits.Normalise -fplugin=GHC.TypeLits.Extra.Solver \
  -fplugin=GHC.TypeLits.KnownNat.Solver "$here/CoSim.hs"
