#!/usr/bin/env bash
# Seeds the fuzz corpora with small real files from this machine (kept out
# of git: corpus/ is ignored). usage: fuzz/seed.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/{binary_elf,binary_pe,binary_macho,binary_inner,machine_code,code_archive}
for f in /bin/true /bin/ls /usr/bin/env /lib/x86_64-linux-gnu/libz.so.1 /usr/lib/go-1.23/pkg/tool/linux_amd64/buildid; do
  [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 4000000 ] && cp "$f" corpus/binary_elf/ && cp "$f" corpus/binary_inner/ || true
done
# x86-64 code: the .text of a small binary.
objcopy -O binary --only-section=.text /bin/true corpus/machine_code/true.text 2>/dev/null || true
find / -xdev \( -name '*.exe' -o -name '*.dll' \) -size -2M 2>/dev/null | head -3 | xargs -r -I{} cp {} corpus/binary_pe/ || true
find / -xdev -name '*.jar' -size -2M 2>/dev/null | head -3 | while read -r j; do { printf '\0'; cat "$j"; } > "corpus/code_archive/$(basename "$j")"; done
find / -xdev -name '*.pyc' -size -64k 2>/dev/null | head -3 | while read -r p; do { printf '\3'; cat "$p"; } > "corpus/code_archive/$(basename "$p")"; done
echo "seeded: $(find corpus -type f | wc -l) files"
