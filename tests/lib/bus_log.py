#!/usr/bin/python3
"""Reads a bus log of tests/lib/qemu_tpm_interposer.py written with --hexdump.

  bus_log.py extends LOG   one line "PCR DIGEST" (hex) a SHA-256 digest that a
                           PCR_Extend the TPM answered with success extended
  bus_log.py replay LOG    PCRs 0-7 of the SHA-256 bank as those extends make
                           them from zero, one hex digest a line
"""
import hashlib
import struct
import sys

DIGEST_SIZES = {0x4: 20, 0xB: 32, 0xC: 48, 0xD: 64, 0x12: 32}
SHA256 = 0xB


def extends(path):
    """(pcr, sha256 digest) of each successful PCR_Extend, in order."""
    pending = None      # 'cmd' after "cmd PCR_Extend", then its frame
    for line in open(path):
        if line.startswith('cmd '):
            pending = 'cmd' if line.startswith('cmd PCR_Extend') else None
        elif line.startswith('> ') and pending == 'cmd':
            pending = bytes.fromhex(line[2:].strip())
        elif line.startswith('rsp PCR_Extend') and isinstance(pending, bytes):
            if line.split()[-1] == 'rc=0x0':    # the TPM's own answer
                c = pending
                idx = struct.unpack_from('>I', c, 10)[0]
                off = 18 + struct.unpack_from('>I', c, 14)[0]  # past auth
                count = struct.unpack_from('>I', c, off)[0]
                off += 4
                for _ in range(count):          # TPMT_HA: alg, digest
                    alg = struct.unpack_from('>H', c, off)[0]
                    size = DIGEST_SIZES[alg]
                    if alg == SHA256:
                        yield idx, c[off + 2:off + 2 + size]
                    off += 2 + size
            pending = None


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('extends', 'replay'):
        sys.exit('usage: bus_log.py extends|replay LOG')
    if sys.argv[1] == 'extends':
        for idx, digest in extends(sys.argv[2]):
            print(idx, digest.hex())
        return
    pcr = [bytes(32)] * 8
    for idx, digest in extends(sys.argv[2]):
        if idx < 8:
            pcr[idx] = hashlib.sha256(pcr[idx] + digest).digest()
    for p in pcr:
        print(p.hex())


if __name__ == '__main__':
    main()
