#!/usr/bin/python3
"""A tampering TPM bus interposer for the test suite (standard library only).

It sits between a client using tpm2-tss's swtpm TCTI
(swtpm:host=127.0.0.1,port=PORT: raw TPM 2.0 frames on PORT, control
channel on PORT+1) and a real `swtpm socket --tpm2 --server type=tcp,...`,
and plays the attacker the threat model describes: it may substitute a
primary key's public part, corrupt a Certify answer, replay, swap, cut or
withhold responses.  attest_tpm2_primary must notice every one of these.

  interposer.py --listen PORT --upstream HOST:PORT --mode MODE [--log FILE]
                [--ctrl-listen P2 --ctrl-upstream HOST:P2] [--target-cc CC]
                [--nth N] [--state FILE] [--rc 0xRC] [--swap-with CC]
                [--size N] [--seed N] [--hexdump]

The control channel is forwarded byte for byte.  On the command channel
the TPM protocol is strictly request/response, so each client connection
is served by one loop: read a command frame, forward it, read the answer,
maybe tamper with it, send it on.  "ready" is printed on stdout once both
ports listen.  --log gets one line per event, appended:
  cmd NAME [hierarchy=0x..] [handles=0x..,0x..]   every command seen
  rsp NAME rc=0x..                                  every genuine answer
  tamper KIND NAME [...]                            every tamper applied
  record NAME                                       record-certify stored one

Sessions: a password session has no response HMAC, so an altered answer
passes as is.  tpm2-tools instead authorizes through an unsalted, unbound
HMAC session; its key is built only from values seen on the bus and empty
auth values, so we recompute the response HMAC of every answer we alter
(logged "tamper forge-hmac"), as a real interposer would.  Answers in salted
sessions, or with response parameter encryption, keep their HMAC or are left
alone: the client's rpHash check must then catch the change.  flip-any
models bus noise and never re-MACs.

Modes (default target in brackets; --target-cc/--nth override it):
  pass              forward everything, only log
  pubkey-null|pubkey-owner|pubkey-ek
                    in CreatePrimary answers for the NULL (0x40000007),
                    owner (0x40000001) or endorsement (0x4000000B) hierarchy,
                    put another valid curve point k*G (or random bytes for
                    non-ECC keys) into outPublic.unique and recompute the
                    name, so the answer stays self-consistent (ESAPI checks
                    that name == H(outPublic)).  Later ReadPublic answers
                    for the same key get the same lie, name and
                    qualifiedName included.  The creationTicket (a TPM HMAC
                    over the real name) cannot be fixed: only CertifyCreation
                    would notice that.  --nth N alters only the Nth
                    CreatePrimary under that hierarchy (counting failed
                    ones; e.g. --nth 1: the kernel's NULL key at boot).
  pubkey-srk        in ReadPublic answers for the persistent SRK at
                    0x81000001 (as systemd-tpm2-setup makes it), put another
                    valid point into outPublic.unique and recompute name and
                    qualifiedName (an owner-hierarchy primary's), the same
                    lie every time
  pubkey-persistent the same for the object at --handle (default the SRK's);
                    an endorsement-range handle (0x8101xxxx) gets an
                    endorsement primary's qualifiedName
  flip-attest|flip-sig-r|flip-sig-s|flip-any  [Certify]
                    flip one random bit in certifyInfo, in signature R, in
                    signature S (RSA/HMAC: the one signature buffer), or
                    anywhere after the 10-byte header
  record-certify    [Certify] pass, and append genuine answers to --state
  replay-certify    [Certify] answer with the newest answer in --state
                    (run record-certify first: a first run can only record)
  swap-response     [Certify] answer with the newest earlier answer to
                    --swap-with (default CreatePrimary) from any connection
                    of this proxy; use --target-cc CreatePrimary --nth 2 to
                    answer the 2nd CreatePrimary with the 1st one's answer
  truncate          [Certify] cut the answer to half its body and fix the
                    header size: a well-framed but short answer
  truncate-raw      [Certify] send the real header but only half the bytes
                    it announces, then close the connection
  oversize          [Certify] pad the answer with zeros to --size bytes
                    (default 8192, above the 4096-byte TPM buffer)
  oversize-short    [Certify] announce --size bytes, send only the real
                    answer, then close
  tpm-error         [Certify] forward the command, but answer with a bare
                    10-byte header carrying --rc (default 0x98E, AUTH_FAIL)
  stall             [Certify] swallow the command, never answer, keep the
                    client connection open until the client gives up
  empty-nv-list     [GetCapability] answer every listing of NV index handles
                    (TPM_CAP_HANDLES from a 0x01xxxxxx handle) with an empty
                    list: the TPM seems to hold no EK certificate
"""
import argparse
import hashlib
import hmac
import json
import random
import secrets
import socket
import struct
import sys
import threading

ST_SESSIONS = 0x8002
# Command codes we name in the log, with the number of handles that
# precede the parameters (needed to find a command's auth area).
COMMANDS = {
    0x120: ('EvictControl', 2), 0x122: ('NV_UndefineSpace', 2),
    0x12A: ('NV_DefineSpace', 1), 0x131: ('CreatePrimary', 1),
    0x137: ('NV_Write', 2), 0x143: ('SelfTest', 0), 0x144: ('Startup', 0),
    0x145: ('Shutdown', 0), 0x147: ('ActivateCredential', 2),
    0x148: ('Certify', 2), 0x14A: ('CertifyCreation', 2),
    0x14E: ('NV_Read', 2), 0x151: ('PolicySecret', 2), 0x153: ('Create', 1),
    0x171: ('PolicyOR', 1),
    0x157: ('Load', 1), 0x158: ('Quote', 1), 0x15D: ('Sign', 1),
    0x15E: ('Unseal', 1), 0x161: ('ContextLoad', 0),
    0x162: ('ContextSave', 1), 0x165: ('FlushContext', 0),
    0x167: ('LoadExternal', 0), 0x168: ('MakeCredential', 1),
    0x169: ('NV_ReadPublic', 1), 0x173: ('ReadPublic', 1),
    0x176: ('StartAuthSession', 2), 0x177: ('VerifySignature', 1),
    0x17A: ('GetCapability', 0), 0x17B: ('GetRandom', 0),
    0x17E: ('PCR_Read', 0), 0x182: ('PCR_Extend', 1), 0x13C: ('PCR_Event', 1),
    0x189: ('PolicyGetDigest', 1), 0x18A: ('TestParms', 0),
    0x191: ('CreateLoaded', 1),
    # also sent by firmware, the kernel and systemd at boot
    0x121: ('HierarchyControl', 1), 0x129: ('HierarchyChangeAuth', 1),
    0x146: ('StirRandom', 0), 0x16A: ('PolicyAuthorize', 1),
    0x16B: ('PolicyAuthValue', 1), 0x16C: ('PolicyCommandCode', 1),
    0x17D: ('Hash', 0), 0x17F: ('PolicyPCR', 1), 0x180: ('PolicyRestart', 1),
    0x181: ('ReadClock', 0)}
CC = {cc: name for cc, (name, _) in COMMANDS.items()}
CC_BY_NAME = {name.lower(): cc for cc, name in CC.items()}
CMD_HANDLES = {cc: n for cc, (_, n) in COMMANDS.items()}
# Handles that precede the parameters in a response.
RSP_HANDLES = {0x131: 1, 0x176: 1, 0x161: 1, 0x157: 1, 0x167: 1, 0x191: 1}
HIERARCHY = {'pubkey-null': 0x40000007, 'pubkey-owner': 0x40000001,
             'pubkey-ek': 0x4000000B}
# Where systemd-tpm2-setup persists the SRK.
SRK_HANDLE = 0x81000001
HASHES = {0x0004: 'sha1', 0x000B: 'sha256', 0x000C: 'sha384',
          0x000D: 'sha512'}
ALG_NULL, ALG_RSA, ALG_ECC = 0x0010, 0x0001, 0x0023

# NIST P-256 and P-384 by TPM_ECC_CURVE id: (p, b, Gx, Gy, n); a = -3.
CURVES = {
    0x0003: (2**256 - 2**224 + 2**192 + 2**96 - 1,
             0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b,
             0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
             0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5,
             0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551),
    0x0004: (2**384 - 2**128 - 2**96 + 2**32 - 1,
             int('b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f'
                 '5013875ac656398d8a2ed19d2a85c8edd3ec2aef', 16),
             int('aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e0'
                 '82542a385502f25dbf55296c3a545e3872760ab7', 16),
             int('3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113'
                 'b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f', 16),
             int('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81'
                 'f4372ddf581a0db248b0a77aecec196accc52973', 16)),
}


def ec_add(P, Q, p):
    """Affine point addition on y^2 = x^3 - 3x + b; None is infinity."""
    if P is None:
        return Q
    if Q is None:
        return P
    if P[0] == Q[0] and (P[1] + Q[1]) % p == 0:
        return None
    if P == Q:
        lam = (3 * P[0] * P[0] - 3) * pow(2 * P[1], -1, p) % p
    else:
        lam = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
    x = (lam * lam - P[0] - Q[0]) % p
    return x, (lam * (P[0] - x) - P[1]) % p


def ec_mul(k, P, p):
    R = None
    while k:
        if k & 1:
            R = ec_add(R, P, p)
        P, k = ec_add(P, P, p), k >> 1
    return R


def on_curve(x, y, curve):
    p, b = CURVES[curve][:2]
    return (y * y - (x * x * x - 3 * x + b)) % p == 0


def random_point(curve):
    """k*G for a random k: a valid public key whose private part we know."""
    p, _, gx, gy, n = CURVES[curve]
    return ec_mul(secrets.randbelow(n - 1) + 1, (gx, gy), p)


class Reader:
    """Cursor over a TPM marshalled buffer (big-endian)."""
    def __init__(self, buf, off=0):
        self.buf, self.off = buf, off

    def u16(self):
        self.off += 2
        return struct.unpack_from('>H', self.buf, self.off - 2)[0]

    def u32(self):
        self.off += 4
        return struct.unpack_from('>I', self.buf, self.off - 4)[0]

    def tpm2b(self):
        """Skip a TPM2B; return (start, end) of its payload."""
        size = self.u16()
        start, self.off = self.off, self.off + size
        if self.off > len(self.buf):
            raise ValueError('TPM2B runs past the buffer')
        return start, self.off


def tpm2b(data):
    return struct.pack('>H', len(data)) + data


def unique_offset(pub):
    """(type, curveID or None, offset of unique) of a TPMT_PUBLIC."""
    r = Reader(pub)
    typ, _, _ = r.u16(), r.u16(), r.u32()
    curve = None
    r.tpm2b()                                   # authPolicy
    if typ in (ALG_RSA, ALG_ECC):
        if r.u16() != ALG_NULL:                 # symmetric: keyBits, mode
            r.off += 4
        scheme = r.u16()                        # RSAES has no details,
        if scheme != ALG_NULL and scheme != 0x0015:
            r.off += 4 if scheme == 0x001A else 2   # ECDAA adds count
        if typ == ALG_RSA:
            r.off += 6                          # keyBits, exponent
        else:
            curve = r.u16()
            if r.u16() != ALG_NULL:             # kdf
                r.off += 2
    elif typ == 0x0008:                         # KEYEDHASH scheme
        scheme = r.u16()
        r.off += {ALG_NULL: 0, 0x0005: 2, 0x000A: 4}[scheme]
    elif typ == 0x0025:                         # SYMCIPHER
        if r.u16() != ALG_NULL:
            r.off += 4
    return typ, curve, r.off


def tpm_name(pub):
    """nameAlg || H_nameAlg(TPMT_PUBLIC), as the TPM computes it."""
    alg = struct.unpack_from('>H', pub, 2)[0]
    return struct.pack('>H', alg) + hashlib.new(HASHES[alg], pub).digest()


class Proxy:
    """A TPM proxy's plumbing, for this interposer and forge_ek_template.py:
    each client of the TPM channel is served by the subclass's exchange(),
    and the control channel, which carries no TPM frames, is piped."""

    def serve_tpm(self, client):
        try:
            up = socket.create_connection(self.a.upstream)
        except OSError as e:
            self.log('error %s' % e)
            client.close()
            return
        self.relay(client, up)

    def relay(self, client, up):
        """Serve one client's commands over the TPM connection up, closing
        both at the end (qemu_tpm_interposer.py passes QEMU's data channel
        and its own socket pair to swtpm)."""
        try:
            self.exchange(client, up)
        except (OSError, ValueError, struct.error) as e:
            self.log('error %s' % e)
        finally:
            client.close()
            up.close()

    def serve_ctrl(self, client):
        try:
            up = socket.create_connection(self.a.ctrl_upstream)
        except OSError:
            client.close()
            return
        for src, dst in ((client, up), (up, client)):
            threading.Thread(target=pipe, args=(src, dst), daemon=True).start()


class Interposer(Proxy):
    def __init__(self, args):
        self.a = args
        self.lock = threading.Lock()
        self.logf = open(args.log, 'a', buffering=1) if args.log else None
        self.seen = {}          # cc -> how many commands with it so far
        self.history = []       # (cc, genuine response) of this proxy's life
        self.fakes = {}         # genuine TPMT_PUBLIC unique -> (fake, hier)
        self.sessions = {}      # session handle -> (hash, HMAC key or None)
        self.rng = random.Random(args.seed)

    def log(self, line):
        with self.lock:
            if self.logf:
                self.logf.write(line + '\n')

    # ---- command side ------------------------------------------------
    def describe(self, cmd):
        cc = struct.unpack_from('>I', cmd, 6)[0]
        name = CC.get(cc, '0x%x' % cc)
        n = min(CMD_HANDLES.get(cc, 0), (len(cmd) - 10) // 4)
        handles = struct.unpack_from('>%dI' % n, cmd, 10)
        extra = ''
        if cc == 0x131 and handles:
            extra = ' hierarchy=0x%08x' % handles[0]
        elif handles:
            extra = ' handles=' + ','.join('0x%08x' % h for h in handles)
        return cc, name, handles, extra

    def targeted(self, cc):
        """Is this command the one the mode attacks (counts occurrences)?"""
        with self.lock:
            self.seen[cc] = self.seen.get(cc, 0) + 1
            count = self.seen[cc]
        return cc == self.a.target_cc and self.a.nth in (0, count)

    # ---- response side -----------------------------------------------
    def split(self, rsp, nhandles):
        """Return (head, params, auth): head keeps header and handles."""
        tag = struct.unpack_from('>H', rsp)[0]
        start = 10 + 4 * nhandles
        if tag != ST_SESSIONS:
            return rsp[:start], rsp[start:], b''
        psize = struct.unpack_from('>I', rsp, start)[0]
        p0 = start + 4
        return rsp[:start], rsp[p0:p0 + psize], rsp[p0 + psize:]

    def join(self, head, params, auth):
        """Rebuild a response, fixing parameterSize and the header size."""
        tag = struct.unpack_from('>H', head)[0]
        body = head[10:] + (struct.pack('>I', len(params)) if
                            tag == ST_SESSIONS else b'') + params + auth
        return struct.pack('>HII', tag, 10 + len(body),
                           struct.unpack_from('>I', head, 6)[0]) + body

    def fake_public(self, pub, hier):
        """Return a TPMT_PUBLIC with a substituted unique field."""
        typ, curve, uo = unique_offset(pub)
        real = pub[uo:]
        with self.lock:
            if real in self.fakes:          # lie consistently
                return pub[:uo] + self.fakes[real][0]
        if typ == ALG_ECC:
            r = Reader(real)
            xs, xe = r.tpm2b()
            size = max(xe - xs, (CURVES[curve][0].bit_length() + 7) // 8)
            x, y = random_point(curve)
            assert on_curve(x, y, curve)
            fake = tpm2b(x.to_bytes(size, 'big')) + tpm2b(y.to_bytes(size, 'big'))
        else:       # RSA modulus or digest: random bytes, odd and full length
            r = Reader(real)
            s, e = r.tpm2b()
            rnd = bytearray(secrets.token_bytes(e - s))
            if rnd:
                rnd[0] |= 0x80
                rnd[-1] |= 1
            fake = tpm2b(bytes(rnd))
        with self.lock:
            self.fakes[real] = (fake, hier)
        return pub[:uo] + fake

    def tamper_createprimary(self, rsp, hier):
        head, params, auth = self.split(rsp, 1)
        r = Reader(params)
        ps, pe = r.tpm2b()                      # outPublic
        r.tpm2b(); r.tpm2b()                    # creationData, creationHash
        r.u16(); r.u32(); r.tpm2b()             # creationTicket
        ns, _ = r.tpm2b()                       # name
        pub = self.fake_public(params[ps:pe], hier)
        params = (tpm2b(pub) + params[pe:ns - 2] + tpm2b(tpm_name(pub)) +
                  params[r.off:])
        return self.join(head, params, auth)

    def tamper_readpublic(self, rsp):
        """Repeat an earlier CreatePrimary lie in a ReadPublic answer."""
        head, params, auth = self.split(rsp, 0)
        r = Reader(params)
        ps, pe = r.tpm2b()
        pub = params[ps:pe]
        _, _, uo = unique_offset(pub)
        with self.lock:
            fake = self.fakes.get(pub[uo:])
        if fake is None:
            return None
        pub = pub[:uo] + fake[0]
        name = tpm_name(pub)
        r.tpm2b(); r.tpm2b()                    # name, qualifiedName
        # A primary's qualifiedName is H(hierarchy handle || name).
        qn = name[:2] + hashlib.new(HASHES[struct.unpack('>H', name[:2])[0]],
                                    struct.pack('>I', fake[1]) + name).digest()
        params = tpm2b(pub) + tpm2b(name) + tpm2b(qn) + params[r.off:]
        return self.join(head, params, auth)

    # ---- HMAC sessions (see "Sessions" in the module docstring) -------
    def track_session(self, cmd, rsp):
        """Remember the HMAC key of each unsalted StartAuthSession."""
        if struct.unpack_from('>I', rsp, 6)[0] != 0:
            return
        r = Reader(cmd, 10)
        tpm_key, bind = r.u32(), r.u32()
        if struct.unpack_from('>H', cmd)[0] == ST_SESSIONS:
            # r.u32() moves r.off itself: add after reading, not into the old value
            auth_size = r.u32()
            r.off += auth_size
        ns, ne = r.tpm2b()                      # nonceCaller
        r.tpm2b()                               # encryptedSalt
        r.off += 1                              # sessionType
        if r.u16() != ALG_NULL:                 # symmetric
            r.off += 4
        alg = HASHES.get(r.u16())
        handle = struct.unpack_from('>I', rsp, 10)[0]
        _, params, _ = self.split(rsp, 1)
        nonce_tpm = params[2:2 + struct.unpack_from('>H', params)[0]]
        key = None
        if alg and tpm_key == 0x40000007:
            # sessionKey is empty without bind; bound to an entity with an
            # empty authValue it is KDFa(authHash, "", "ATH", nTPM, nCaller).
            key = b'' if bind == 0x40000007 else kdfa(
                alg, b'', b'ATH', nonce_tpm, cmd[ns:ne],
                8 * hashlib.new(alg).digest_size)
        with self.lock:
            self.sessions[handle] = (alg, key)

    def reauth(self, cmd, out, cc):
        """Recompute the response HMACs of a response we altered."""
        if struct.unpack_from('>H', out)[0] != ST_SESSIONS:
            return out
        try:
            calls = cmd_sessions(cmd, cc)
            head, params, auth = self.split(out, RSP_HANDLES.get(cc, 0))
            r, new = Reader(auth), b''
            for handle, nonce_caller, _ in calls:
                ns, ne = r.tpm2b()
                attrs = auth[r.off:r.off + 1]
                r.off += 1
                hs, he = r.tpm2b()
                mac = auth[hs:he]
                with self.lock:
                    alg, key = self.sessions.get(handle, (None, None))
                if mac and key is not None:
                    rp = hashlib.new(alg, struct.pack('>II', 0, cc) + params)
                    mac = hmac.new(key, rp.digest() + auth[ns:ne] +
                                   nonce_caller + attrs, alg).digest()
                    self.log('tamper forge-hmac %s session=0x%08x' %
                             (CC.get(cc), handle))
                elif mac:
                    self.log('no-forge-hmac %s session=0x%08x: salted or '
                             'unknown session' % (CC.get(cc), handle))
                new += tpm2b(auth[ns:ne]) + attrs + tpm2b(mac)
            return self.join(head, params, new)
        except (KeyError, ValueError, struct.error):
            return out

    def flip(self, rsp, which):
        """Flip one bit inside the chosen part of a Certify answer."""
        head, params, _ = self.split(rsp, 0)
        # params offsets -> response offsets (skip parameterSize if present)
        base = len(head) + (4 if rsp[:2] == b'\x80\x02' else 0)
        if which == 'any':
            lo, hi = 10, len(rsp)
        else:
            r = Reader(params)
            lo, hi = r.tpm2b()                  # certifyInfo
            if which != 'attest':
                alg = r.u16()
                r.u16()                         # hash
                lo, hi = r.tpm2b()              # R, or the RSA/HMAC sig
                if which == 'sig-s' and alg in (0x18, 0x1A, 0x1B, 0x1C):
                    lo, hi = r.tpm2b()
            lo, hi = lo + base, hi + base
        off = self.rng.randrange(lo, hi)
        bit = self.rng.randrange(8)
        out = bytearray(rsp)
        out[off] ^= 1 << bit
        return bytes(out), 'offset=%d bit=%d' % (off, bit)

    def load_state(self):
        try:
            with open(self.a.state) as f:
                return json.load(f)
        except FileNotFoundError:
            return {'certify': []}

    def respond(self, cmd, rsp, cc, name, handles, hit):
        """Return (bytes to send, close afterwards?) for a genuine answer;
        hit: is this the command --target-cc/--nth name?"""
        mode, rc = self.a.mode, struct.unpack_from('>I', rsp, 6)[0]
        if mode in HIERARCHY and cc == 0x131 and handles:
            with self.lock:             # --nth counts per hierarchy
                key = (cc, handles[0])
                self.seen[key] = self.seen.get(key, 0) + 1
                hit = self.a.nth in (0, self.seen[key])
        if rc != 0:
            return rsp, False           # only ever tamper with successes
        if mode in HIERARCHY:
            if cc == 0x131 and handles and handles[0] == HIERARCHY[mode]:
                if self.a.nth and not hit:
                    return rsp, False
                if any(a & 0x40 for _, _, a in cmd_sessions(cmd, cc)):
                    # outPublic is encrypted; we do not decrypt it.
                    self.log('no-tamper replace-pubkey %s: encrypted' % name)
                    return rsp, False
                self.log('tamper replace-pubkey %s hierarchy=0x%08x' %
                         (name, handles[0]))
                out = self.tamper_createprimary(rsp, handles[0])
                return self.reauth(cmd, out, cc), False
            if cc == 0x173:
                out = self.tamper_readpublic(rsp)
                if out:
                    self.log('tamper replace-pubkey ReadPublic handle=0x%08x'
                             % handles[0])
                    return self.reauth(cmd, out, cc), False
            return rsp, False
        if mode in ('pubkey-srk', 'pubkey-persistent'):
            target = SRK_HANDLE if mode == 'pubkey-srk' else self.a.handle
            if cc == 0x173 and handles and handles[0] == target:
                _, params, _ = self.split(rsp, 0)
                ps, pe = Reader(params).tpm2b()
                hier = (HIERARCHY['pubkey-ek'] if target >> 16 == 0x8101
                        else HIERARCHY['pubkey-owner'])
                self.fake_public(params[ps:pe], hier)
                self.log('tamper replace-pubkey ReadPublic handle=0x%08x'
                         % handles[0])
                return self.reauth(cmd, self.tamper_readpublic(rsp), cc), False
            return rsp, False
        if mode == 'empty-nv-list':
            if cc == 0x17A and nv_handle_listing(cmd):
                head, _, auth = self.split(rsp, 0)
                # moreData NO, TPM_CAP_HANDLES, count 0
                out = self.join(head, struct.pack('>BII', 0, 1, 0), auth)
                self.log('tamper empty-nv-list %s' % name)
                return self.reauth(cmd, out, cc), False
            return rsp, False
        if not hit:
            return rsp, False
        size = len(rsp)
        if mode.startswith('flip-'):
            out, where = self.flip(rsp, mode[5:])
            self.log('tamper %s %s %s' % (mode, name, where))
            # Bus noise (flip-any) cannot re-sign; an attacker can re-MAC.
            return (out if mode == 'flip-any' else
                    self.reauth(cmd, out, cc)), False
        if mode == 'record-certify':
            state = self.load_state()
            state['certify'].append(rsp.hex())
            with open(self.a.state, 'w') as f:
                json.dump(state, f)
            self.log('record %s' % name)
        elif mode == 'replay-certify':
            old = self.load_state()['certify']
            if old:
                self.log('tamper replay %s' % name)
                return self.reauth(cmd, bytes.fromhex(old[-1]), cc), False
            self.log('no-tamper replay %s: nothing recorded' % name)
        elif mode == 'swap-response':
            with self.lock:
                src = [r for c, r in self.history if c == self.a.swap_with]
            if src:
                self.log('tamper swap-response %s with=%s' %
                         (name, CC.get(self.a.swap_with)))
                return self.reauth(cmd, src[-1], cc), False
            self.log('no-tamper swap-response %s: no earlier answer' % name)
        elif mode == 'truncate':
            out = bytearray(rsp[:10 + (size - 10) // 2])
            struct.pack_into('>I', out, 2, len(out))
            self.log('tamper truncate %s size=%d->%d' % (name, size, len(out)))
            return bytes(out), False
        elif mode == 'truncate-raw':
            self.log('tamper truncate-raw %s sent=%d of %d' %
                     (name, 10 + (size - 10) // 2, size))
            return rsp[:10 + (size - 10) // 2], True
        elif mode == 'oversize':
            out = bytearray(rsp + bytes(max(0, self.a.size - size)))
            struct.pack_into('>I', out, 2, len(out))
            self.log('tamper oversize %s size=%d' % (name, len(out)))
            return bytes(out), False
        elif mode == 'oversize-short':
            out = bytearray(rsp)
            struct.pack_into('>I', out, 2, self.a.size)
            self.log('tamper oversize-short %s announced=%d sent=%d' %
                     (name, self.a.size, size))
            return bytes(out), True
        elif mode == 'tpm-error':
            self.log('tamper tpm-error %s rc=0x%x' % (name, self.a.rc))
            return struct.pack('>HII', 0x8001, 10, self.a.rc), False
        return rsp, False

    # ---- the TPM channel ---------------------------------------------
    def exchange(self, client, up):
        """Relay one client's commands and their (tampered) answers."""
        while True:
            cmd = read_frame(client)
            if cmd is None:
                return
            cc, name, handles, extra = self.describe(cmd)
            self.log('cmd %s%s' % (name, extra))
            if self.a.hexdump:
                self.log('> ' + cmd.hex())
            hit = self.targeted(cc)     # counted once per command
            if self.a.mode == 'stall' and hit:
                # Never answer.  Release swtpm (it serves one client at
                # a time) and hold the client until it hangs up.
                self.log('tamper stall %s' % name)
                up.close()
                while client.recv(4096):
                    pass
                return
            up.sendall(cmd)
            rsp = read_frame(up)
            if rsp is None:
                return
            self.log('rsp %s rc=0x%x' %
                     (name, struct.unpack_from('>I', rsp, 6)[0]))
            try:
                out, close = self.respond(cmd, rsp, cc, name, handles,
                                          hit)
            except Exception as e:  # a parse we did not foresee
                self.log('no-tamper %s: %r' % (name, e))
                out, close = rsp, False
            if self.a.hexdump:
                self.log('< ' + rsp.hex() + ('' if out == rsp else
                                             '\n<! ' + out.hex()))
            with self.lock:
                self.history.append((cc, rsp))
            if cc == 0x176:
                try:
                    self.track_session(cmd, rsp)
                except Exception as e:  # a layout we did not foresee
                    # Only later re-MACs need the session: keep relaying.
                    self.log('no-track-session: %r' % e)
            client.sendall(out)
            if close:
                return


def cmd_sessions(cmd, cc):
    """(handle, nonceCaller, attributes) of each session of a command."""
    if struct.unpack_from('>H', cmd)[0] != ST_SESSIONS:
        return []
    r = Reader(cmd, 10 + 4 * CMD_HANDLES[cc])
    end = r.u32() + r.off
    calls = []
    while r.off < end:
        handle = r.u32()
        ns, ne = r.tpm2b()
        calls.append((handle, cmd[ns:ne], cmd[r.off]))
        r.off += 1
        r.tpm2b()
    return calls


def nv_handle_listing(cmd):
    """Is this GetCapability a listing of NV index handles?"""
    off = 10
    if struct.unpack_from('>H', cmd)[0] == ST_SESSIONS:
        off += 4 + struct.unpack_from('>I', cmd, off)[0]
    capability, first = struct.unpack_from('>II', cmd, off)
    return capability == 1 and first >> 24 == 0x01


def kdfa(alg, key, label, context_u, context_v, bits):
    """TPM 2.0 KDFa (SP800-108 counter mode with HMAC)."""
    out, i = b'', 1
    while len(out) * 8 < bits:
        out += hmac.new(key, struct.pack('>I', i) + label + b'\0' + context_u +
                        context_v + struct.pack('>I', bits), alg).digest()
        i += 1
    return out[:bits // 8]


def read_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(sock):
    """One TPM command or response frame, or None at end of stream."""
    head = read_exact(sock, 10)
    if head is None:
        return None
    size = struct.unpack_from('>I', head, 2)[0]
    if size < 10 or size > 1 << 20:
        raise ValueError('bad frame size %d' % size)
    rest = read_exact(sock, size - 10)
    return None if rest is None else head + rest


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.listen(8)
    return s


def accept_loop(sock, handler):
    while True:
        client, _ = sock.accept()
        threading.Thread(target=handler, args=(client,), daemon=True).start()


def serve(proxy, port, ctrl_port):
    """Serve the TPM channel on port and the control channel on ctrl_port
    until interrupted; "ready" on stdout once both listen."""
    tpm, ctrl = listen(port), listen(ctrl_port)
    threading.Thread(target=accept_loop, args=(ctrl, proxy.serve_ctrl),
                     daemon=True).start()
    print('ready', flush=True)
    try:
        accept_loop(tpm, proxy.serve_tpm)
    except KeyboardInterrupt:
        pass


def hostport(text):
    host, _, port = text.rpartition(':')
    return host or '127.0.0.1', int(port)


def command_code(text):
    return CC_BY_NAME.get(text.lower()) or int(text, 0)


MODES = ['pass', 'pubkey-null', 'pubkey-owner', 'pubkey-ek', 'pubkey-srk',
         'pubkey-persistent',
         'flip-attest',
         'flip-sig-r', 'flip-sig-s', 'flip-any', 'record-certify',
         'replay-certify', 'swap-response', 'truncate', 'truncate-raw',
         'oversize', 'oversize-short', 'tpm-error', 'stall', 'empty-nv-list']


def tamper_options(ap):
    """Add the options that pick and tune the tampering (--mode ...): this
    proxy's and qemu_tpm_interposer.py's."""
    ap.add_argument('--mode', choices=MODES, required=True)
    ap.add_argument('--log')
    ap.add_argument('--target-cc', type=command_code, default=0x148,
                    help='command to attack (name or number; Certify)')
    ap.add_argument('--stall-at', type=command_code, dest='target_cc')
    ap.add_argument('--nth', type=int, default=0,
                    help='attack only the Nth such command (0: all)')
    ap.add_argument('--swap-with', type=command_code, default=0x131)
    ap.add_argument('--handle', type=lambda t: int(t, 0), default=0x81000001,
                    help='the persistent object pubkey-persistent lies about')
    ap.add_argument('--state', help='file for record/replay-certify')
    ap.add_argument('--rc', type=lambda t: int(t, 0), default=0x98E)
    ap.add_argument('--size', type=int, default=8192)
    ap.add_argument('--seed', type=int, help='make bit flips reproducible')
    ap.add_argument('--hexdump', action='store_true',
                    help='also log every frame in hex (">" in, "<" out)')


def check_tamper_options(ap, a):
    if a.mode.endswith('-certify') and not a.state:
        ap.error('%s needs --state' % a.mode)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--listen', type=int, required=True)
    ap.add_argument('--upstream', type=hostport, required=True)
    ap.add_argument('--ctrl-listen', type=int)
    ap.add_argument('--ctrl-upstream', type=hostport)
    tamper_options(ap)
    a = ap.parse_args()
    check_tamper_options(ap, a)
    if a.ctrl_listen is None:
        a.ctrl_listen = a.listen + 1
    if a.ctrl_upstream is None:
        a.ctrl_upstream = (a.upstream[0], a.upstream[1] + 1)
    serve(Interposer(a), a.listen, a.ctrl_listen)


if __name__ == '__main__':
    sys.exit(main())
