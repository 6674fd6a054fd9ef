#!/usr/bin/env bash
# Build every committed example in every mode and format, and print an md5 sum per file:
# run it before and after a change that must not move any output byte (a refactoring),
# then diff the two lists.
#     tools/example_builds.sh /tmp/before > before.md5   # ... change ...
#     tools/example_builds.sh /tmp/after > after.md5 && diff before.md5 after.md5
set -u
cd "$(dirname "$0")/.."
C=${C64ML:-c64ml}
out=$1
mkdir -p "$out"
rm -rf "${out:?}"/*
for m in examples/xor/mlp.qmodel.json examples/xor/perceptron.qmodel.json \
         examples/iris/qmodel.json examples/fruit_colors/qmodel.json \
         examples/digits/qmodel.json examples/digits/qmodel-speed.json \
         examples/bench/wide.qmodel.json examples/bench/zero.qmodel.json; do
  n=$(echo "$m" | tr '/' '_')
  for opt in size speed; do
    $C compile "$m" -o "$out/$n-$opt.prg" --optimize $opt --labels "$out/$n-$opt.lbl" >/dev/null || echo "failed: $m $opt" >&2
    $C compile "$m" -o "$out/$n-$opt.s" --optimize $opt >/dev/null || echo "failed: asm $m $opt" >&2
  done
  $C compile "$m" -o "$out/$n.c" >/dev/null || echo "failed: C $m" >&2
done
$C compile examples/iris/qmodel.json -o "$out/iris-app.prg" --mode app --data examples/iris/test.csv >/dev/null
$C compile examples/iris/qmodel.json -o "$out/iris-app-vx.prg" --mode app --data examples/iris/test.csv --vice-exit >/dev/null
$C compile examples/digits/qmodel.json -o "$out/digits-app.prg" --mode app --data examples/digits/test.npz --optimize speed >/dev/null
$C compile examples/xor/mlp.qmodel.json -o "$out/xor-app.prg" --mode app --data examples/xor/data.csv >/dev/null
$C asm examples/hello/hello.s -o "$out/hello.prg" >/dev/null
$C demo --out "$out/demo" --which all >/dev/null
(cd "$out" && md5sum -- *.* demo/*)
