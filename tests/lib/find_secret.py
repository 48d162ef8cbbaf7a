#!/usr/bin/env python3
"""Look for a secret where a TPM run may have left it.

  find_secret.py text SECRET FILE   in text: clear, or as hex in any case,
                                    also split over tpm2-tss's 16-byte
                                    hex-dump lines ("0000: 4142...")
  find_secret.py mem SECRET PID     in the process's writable memory
                                    (/proc/PID/maps and /proc/PID/mem)

Exit 0 when found (and say where), 1 when not, 2 when it cannot look.
"""
import re
import sys

MAX_REGION = 1 << 30


def hex_windows(secret):
    """Every 8-byte run of the secret in hex: what a 16-byte dump line
    must hold of a secret of at least 8 bytes, however it is split."""
    h = secret.hex()
    n = min(16, len(h))
    return {h[i:i + n] for i in range(0, len(h) - n + 1, 2)}


def in_text(secret, path):
    data = open(path, 'rb').read()
    if secret in data:
        return 'in clear'
    flat = re.sub(rb'[^0-9a-fA-F]', b'', data).lower()
    joined = b''.join(re.findall(rb'[0-9a-f]{4}: ([0-9a-f]+)', data.lower()))
    for w in hex_windows(secret):
        if w.encode() in flat or w.encode() in joined:
            return 'as hex'
    return None


def in_memory(secret, pid):
    found = []
    with open('/proc/%d/maps' % pid) as maps, \
            open('/proc/%d/mem' % pid, 'rb', 0) as mem:
        for line in maps:
            fields = line.split()
            if 'w' not in fields[1]:
                continue
            lo, hi = (int(x, 16) for x in fields[0].split('-'))
            if hi - lo > MAX_REGION:
                continue        # a sanitizer's sparse reservation, not a heap
            try:
                mem.seek(lo)
                chunk = mem.read(hi - lo)
            except (OSError, ValueError, MemoryError):
                continue
            if secret in chunk:
                found.append(fields[5] if len(fields) > 5 else 'anonymous')
    return ', '.join(found) or None


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ('text', 'mem'):
        sys.exit(__doc__)
    secret = sys.argv[2].encode()
    try:
        where = (in_text(secret, sys.argv[3]) if sys.argv[1] == 'text'
                 else in_memory(secret, int(sys.argv[3])))
    except OSError as e:
        print('cannot look: %s' % e)
        sys.exit(2)
    if where:
        print(where)
        sys.exit(0)
    sys.exit(1)


if __name__ == '__main__':
    main()
