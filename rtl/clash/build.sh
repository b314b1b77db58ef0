#!/usr/bin/env bash
# Compile every Clash top (each module under src/LlamaDv/Top/) to Verilog in rtl/gen/<top>/.
#
#   rtl/clash/build.sh                  regenerate rtl/gen and rtl/gen/BUILD_STATS.md
#   rtl/clash/build.sh --check          regenerate into a temporary directory and fail if
#                                       rtl/gen differs (the committed Verilog is stale)
#   rtl/clash/build.sh [--check] Mod..  only the modules src/LlamaDv/Top/<Mod>.hs: their
#                                       tops and BUILD_STATS.md rows; the rest is kept
#
# Environment: CLASH (default clash), CLASH_FLAGS (extra flags), PYTHON (for the table check).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
clash="${CLASH:-clash}"
if [[ -x "$root/.venv/bin/python" ]]; then python="${PYTHON:-$root/.venv/bin/python}"; else python="${PYTHON:-python3}"; fi
flags=(-fclash-no-prim-warn -fclash-inline-limit=64 ${CLASH_FLAGS:-})
mode=build
modules=()
for arg in "$@"; do
  case "$arg" in
    --check) mode=--check ;;
    -*) echo "usage: $0 [--check] [TopModule ...]" >&2; exit 2 ;;
    *) [[ -f "$here/src/LlamaDv/Top/$arg.hs" ]] || { echo "build.sh: no module src/LlamaDv/Top/$arg.hs" >&2; exit 2; }
       modules+=("$arg") ;;
  esac
done

command -v "$clash" >/dev/null || { echo "build.sh: '$clash' not found (install Debian's clash packages)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$work/gen"
mkdir -p "$out" "$work/run"

# romFile/blockRamFile contents must exist at compile time; the Verilog reads the real
# files with $readmemb from the simulator's working directory, so zeros suffice here.
placeholder() { # name depth width
  "$python" -c "import sys; sys.stdout.write(('0'*int(sys.argv[2])+'\n')*int(sys.argv[1]))" "$2" "$3" >"$work/run/$1"
}
placeholder wcls.bin 64 519
placeholder mac_w.bin 65536 8
placeholder mac_e.bin 1024 7
# decoder_small reads the models/export.py memory files; any SMALL export has their shapes.
( cd "$root" && "$python" -m llama_dv.models.export --config small --seed 1 --format bin --out "$work/run" >/dev/null )

stats="$work/BUILD_STATS.md"
{
  echo "# Clash build statistics"
  echo
  echo "Written by \`rtl/clash/build.sh\` ($("$clash" --version | head -1); flags: ${flags[*]})."
  echo "Wall time and peak resident memory of one \`clash --verilog\` run per module."
  echo
  echo "| module | tops | wall s | peak MiB |"
  echo "|---|---|---|---|"
} >"$stats.tmp"

# Compile from a copy of src/ with relative paths: Clash writes the Haskell source
# location into Verilog comments, which must not depend on where the checkout lives.
cp -r "$here/src" "$work/run/src"
srcs=()
if ((${#modules[@]})); then
  for m in "${modules[@]}"; do srcs+=("$work/run/src/LlamaDv/Top/$m.hs"); done
else
  srcs=("$work"/run/src/LlamaDv/Top/*.hs)
fi
built_tops=()
for src in "${srcs[@]}"; do
  mod="LlamaDv.Top.$(basename "$src" .hs)"
  rel="src/LlamaDv/Top/$(basename "$src")"
  hdl="$work/hdl"
  rm -rf "$hdl"
  ( cd "$work/run" && /usr/bin/time -f '%e %M' -o "$work/time.txt" \
      "$clash" -isrc -outputdir "$work/obj" -fclash-hdldir "$hdl" "${flags[@]}" \
      --verilog "$rel" >"$work/log.txt" 2>&1 ) || { cat "$work/log.txt" >&2; echo "build.sh: clash failed on $src" >&2; exit 1; }
  read -r wall kb <"$work/time.txt"
  tops=()
  for d in "$hdl"/"$mod".*; do
    manifest="$d/clash-manifest.json"
    top="$("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['top_component']['name'])" "$manifest")"
    mkdir -p "$out/$top"
    # Memory placeholders are not part of the design; tests stage the real files.
    find "$d" -maxdepth 1 -type f ! -name '*.bin' ! -name '*.memb' -exec cp {} "$out/$top/" \;
    tops+=("$top")
    built_tops+=("$top")
  done
  echo "| $mod | ${tops[*]} | $wall | $((kb / 1024)) |" >>"$stats.tmp"
  echo "build.sh: $mod -> ${tops[*]} (${wall}s, $((kb / 1024)) MiB)"
done

case "$mode" in
  --check)
    "$python" "$here/gen_tables.py" --check
    if ((${#modules[@]})); then
      stale=0
      for top in "${built_tops[@]}"; do
        diff -r "$root/rtl/gen/$top" "$out/$top" >>"$work/diff.txt" 2>&1 || stale=1
      done
    else
      diff -r -x BUILD_STATS.md "$root/rtl/gen" "$out" >"$work/diff.txt" && stale=0 || stale=1
    fi
    if ((stale == 0)); then
      echo "build.sh: rtl/gen is up to date"
    else
      head -50 "$work/diff.txt" >&2
      echo "build.sh: rtl/gen is stale; run rtl/clash/build.sh" >&2
      exit 1
    fi
    ;;
  build)
    if ((${#modules[@]})); then
      # Keep the rows and tops of the modules not rebuilt; replace those that were.
      old="$root/rtl/gen/BUILD_STATS.md"
      for m in "${modules[@]}"; do
        if [[ -f "$old" ]]; then
          for top in $(grep -F "| LlamaDv.Top.$m |" "$old" | cut -d'|' -f3); do rm -rf "$root/rtl/gen/$top"; done
        fi
      done
      { sed -n '1,/^|---/p' "$stats.tmp"
        { if [[ -f "$old" ]]; then
            grep '^| LlamaDv' "$old" | grep -vF -f <(printf '| LlamaDv.Top.%s |\n' "${modules[@]}") || true
          fi
          grep '^| LlamaDv' "$stats.tmp"; } | sort; } >"$work/stats.merged"
      mkdir -p "$root/rtl/gen"
      for top in "${built_tops[@]}"; do rm -rf "$root/rtl/gen/$top"; cp -r "$out/$top" "$root/rtl/gen/$top"; done
      mv "$work/stats.merged" "$root/rtl/gen/BUILD_STATS.md"
    else
      mv "$stats.tmp" "$out/BUILD_STATS.md"
      rm -rf "$root/rtl/gen"
      mkdir -p "$root/rtl/gen"
      cp -r "$out"/. "$root/rtl/gen/"
    fi
    ;;
esac
