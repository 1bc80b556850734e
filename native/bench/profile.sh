#!/bin/sh
# Builds the standalone driver with the addon's code-generation flags (as a
# shared object, -fPIC, like the .node) and reports callgrind instructions per
# op and the event/state hashes for the dumped workloads.
# Usage: native/bench/profile.sh [mixed|deep ...]   (workloads from dump-workload.ts in $WL, default /tmp/aurex-wl)
set -e
cd "$(dirname "$0")/../.."
WL=${WL:-/tmp/aurex-wl}
OUT=${OUT:-/tmp/aurex-prof}
mkdir -p "$OUT"
F="-std=c++20 -O3 -g -fPIC -fno-omit-frame-pointer -fno-rtti -fno-exceptions -fvisibility=hidden -fno-semantic-interposition -fomit-frame-pointer $EXTRA"
g++ $F -Dmain=driver_main -shared -o "$OUT/libdriver.so" native/bench/driver.cc native/book.cc
printf 'int driver_main(int, char**);\nint main(int c, char** v) { return driver_main(c, v); }\n' > "$OUT/loader.cc"
g++ -o "$OUT/driver" "$OUT/loader.cc" "$OUT/libdriver.so" -Wl,-rpath,"$OUT"
for w in ${@:-mixed deep}; do
  "$OUT/driver" "$WL/$w.bin" --hash
  valgrind --tool=callgrind $CG --toggle-collect='runOps*' --callgrind-out-file="$OUT/cg-$w.out" "$OUT/driver" "$WL/$w.bin" 2>&1 |
    awk -v w="$w" '/Collected/ { print w ": " $4 " instructions" }'
done
