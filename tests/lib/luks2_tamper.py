#!/usr/bin/env python3
"""Rewrite one copy of a LUKS2 header the way an attacker with the disk
would: new JSON text, a new seqid, the checksum made to match (or left
stale). Only the on-disk format is used, never cryptsetup.

  luks2_tamper.py IMG COPY json FILE [--seqid N] [--stale-checksum]
  luks2_tamper.py IMG COPY show          print the copy's seqid and JSON
COPY is 0 (primary) or 1 (secondary)."""
import hashlib
import struct
import sys


def copy_offset(f, copy):
    f.seek(0)
    hdr = f.read(4096)
    size = struct.unpack('>Q', hdr[8:16])[0]
    return 0 if copy == 0 else size, size


def main():
    img, copy, op = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(img, 'r+b') as f:
        off, size = copy_offset(f, copy)
        f.seek(off)
        area = bytearray(f.read(size))
        if op == 'show':
            print(struct.unpack('>Q', area[16:24])[0])
            print(area[4096:].split(b'\0', 1)[0].decode())
            return 0
        text = open(sys.argv[4], 'rb').read()
        args = sys.argv[5:]
        if len(text) > size - 4096:
            sys.exit('JSON too large for the area')
        area[4096:] = text + bytes(size - 4096 - len(text))
        if '--seqid' in args:
            area[16:24] = struct.pack('>Q', int(args[args.index('--seqid') + 1]))
        if '--stale-checksum' not in args:
            area[448:512] = bytes(64)
            digest = hashlib.sha256(bytes(area)).digest()
            area[448:448 + len(digest)] = digest
        f.seek(off)
        f.write(area)
    return 0


if __name__ == '__main__':
    sys.exit(main())
