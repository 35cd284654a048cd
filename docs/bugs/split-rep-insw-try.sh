#!/bin/bash
# try.sh PORT gdb-commands...
B=/work/main/build
port=$1; shift
$B/bin/rewind replay fail.rwr --gdb :$port --wait-gdb > /dev/null 2> t.err &
sleep 0.3
args=(-ex "target remote :$port")
for c in "$@"; do args+=(-ex "$c"); done
timeout 60 gdb -nx -batch "${args[@]}" $B/guest/disk_sum64.elf > t.gdb 2>&1
wait
if grep -q diverged t.err; then echo "DIVERGED: $(grep differs t.err | head -3 | tr '\n' ' ')"; else echo ok; fi
