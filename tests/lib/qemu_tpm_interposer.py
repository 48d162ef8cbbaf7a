#!/usr/bin/python3
"""A tampering interposer on a QEMU guest's TPM bus (standard library only).

QEMU's tpm-emulator backend talks to swtpm over two channels: a control
socket (QEMU's chardev) carrying swtpm's control protocol (CMD_INIT,
CMD_SET_LOCALITY, ...; swtpm's include/swtpm/tpm_ioctl.h), and a data
channel for the TPM frames, one end of a socket pair that QEMU hands over
with CMD_SET_DATAFD (SCM_RIGHTS).  This proxy serves the control socket to
QEMU and is itself the control client of a real swtpm started without
--server:

  swtpm socket --tpm2 --tpmstate dir=STATE --ctrl type=unixio,path=CTRLSOCK
  qemu_tpm_interposer.py --listen SOCK --upstream CTRLSOCK --mode MODE
                         [--log FILE] [--target-cc CC] [--nth N] [--rc 0xRC]
                         [--hexdump] [...any other option of interposer.py]
  qemu-system-x86_64 ... -chardev socket,id=chrtpm,path=SOCK \\
      -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0

Control commands are relayed as they are, except CMD_SET_DATAFD: the proxy
keeps QEMU's descriptor, passes swtpm one end of a socket pair of its own,
and relays every TPM command and response between the two through
interposer.py's Interposer, which logs and tampers exactly as it does for
the TCP proxy (same modes, same --target-cc/--nth rules, same log lines):
  cmd NAME [hierarchy=0x..] [handles=0x..,0x..]   every TPM command
  rsp NAME rc=0x..                                  every genuine answer
  tamper KIND NAME [...]                            every tamper applied
plus one line per control command once it is answered:
  ctrl NAME [loc=N|flags=0x..|caps=0x..] res=0x..
For instance --mode pubkey-null --nth 1 replaces the key only in the first
CreatePrimary under TPM_RH_NULL (the kernel's null key at boot), and
--mode stall --stall-at Certify --nth 2 withholds the answer to the second
Certify, holding QEMU's data channel open (the guest sees a TPM that stops
answering).  "ready" is printed on stdout once SOCK listens; SIGTERM or
SIGINT remove SOCK and end the proxy.  QEMU may reconnect (one control
client at a time, as swtpm allows).
"""
import argparse
import os
import signal
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interposer  # noqa: E402  (frame parsing, logging and tampering)

NAMES = {1: 'GET_CAPABILITY', 2: 'INIT', 3: 'SHUTDOWN',
         4: 'GET_TPMESTABLISHED', 5: 'SET_LOCALITY', 6: 'HASH_START',
         7: 'HASH_DATA', 8: 'HASH_END', 9: 'CANCEL_TPM_CMD',
         10: 'STORE_VOLATILE', 11: 'RESET_TPMESTABLISHED',
         12: 'GET_STATEBLOB', 13: 'SET_STATEBLOB', 14: 'STOP',
         15: 'GET_CONFIG', 16: 'SET_DATAFD', 17: 'SET_BUFFERSIZE',
         18: 'GET_INFO', 19: 'LOCK_STORAGE'}
CMD = {name: n for n, name in NAMES.items()}
# Request bytes after the 4-byte command that must arrive before the
# command can be relayed (as swtpm's ctrlchannel_recv_cmd waits for them);
# VAR: offset of a 32-bit length of data following those bytes.
REQ_MIN = {CMD['INIT']: 4, CMD['SET_LOCALITY']: 1,
           CMD['RESET_TPMESTABLISHED']: 1, CMD['GET_STATEBLOB']: 12,
           CMD['SET_STATEBLOB']: 12, CMD['HASH_DATA']: 4,
           CMD['SET_BUFFERSIZE']: 4, CMD['GET_INFO']: 16}
REQ_VAR = {CMD['HASH_DATA']: 0, CMD['SET_STATEBLOB']: 8}
# Size of a successful response (default 4: just the result); VAR as above.
RSP_SIZE = {CMD['GET_CAPABILITY']: 8, CMD['GET_TPMESTABLISHED']: 8,
            CMD['GET_CONFIG']: 8, CMD['SET_BUFFERSIZE']: 16,
            CMD['GET_STATEBLOB']: 16, CMD['GET_INFO']: 12}
RSP_VAR = {CMD['GET_STATEBLOB']: 12, CMD['GET_INFO']: 8}
CHUNK = 4 + 4096 + 8            # swtpm's own receive buffer, and then some


def read_exact(sock, n, buf=b''):
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError('control channel closed')
        buf += chunk
    return buf


def read_request(sock):
    """One control command from QEMU: (bytes, [received fds]) or None."""
    fds = []
    data, anc, _, _ = sock.recvmsg(CHUNK, socket.CMSG_SPACE(4 * 4))
    for level, typ, payload in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds += struct.unpack('%di' % (len(payload) // 4),
                                 payload[:len(payload) // 4 * 4])
    if not data:
        for fd in fds:
            os.close(fd)
        return None
    data = read_exact(sock, 4, data)
    cc = struct.unpack_from('>I', data)[0]
    need = 4 + REQ_MIN.get(cc, 0)
    data = read_exact(sock, need, data)
    if cc in REQ_VAR:
        need += struct.unpack_from('>I', data, 4 + REQ_VAR[cc])[0]
        data = read_exact(sock, need, data)
    return data, fds


def read_response(sock, cc):
    """swtpm's answer to control command cc."""
    data = read_exact(sock, 4)
    if cc != CMD['GET_CAPABILITY'] and struct.unpack('>I', data)[0]:
        if cc != CMD['GET_STATEBLOB']:
            return data                 # a failure is the bare result
        # ... but GET_STATEBLOB's may carry the rest of its header (or not,
        # when the TPM is not running): take what swtpm wrote with it.
        sock.settimeout(0.2)
        try:
            data += sock.recv(CHUNK)
        except socket.timeout:
            pass
        finally:
            sock.settimeout(None)
        return data
    data = read_exact(sock, RSP_SIZE.get(cc, 4), data)
    if cc in RSP_VAR:
        size = len(data) + struct.unpack_from('>I', data, RSP_VAR[cc])[0]
        data = read_exact(sock, size, data)
    return data


def describe(cc, req, rsp):
    name = NAMES.get(cc, '0x%x' % cc)
    extra = ''
    if cc in (CMD['SET_LOCALITY'], CMD['RESET_TPMESTABLISHED']) and \
            len(req) > 4:
        extra = ' loc=%d' % req[4]
    elif cc == CMD['INIT'] and len(req) >= 8:
        extra = ' flags=0x%x' % struct.unpack_from('>I', req, 4)[0]
    elif cc == CMD['SET_BUFFERSIZE'] and len(req) >= 8:
        extra = ' size=%d' % struct.unpack_from('>I', req, 4)[0]
    if cc == CMD['GET_CAPABILITY']:
        return 'ctrl %s caps=0x%x' % (name, struct.unpack('>Q', rsp[:8])[0])
    return 'ctrl %s%s res=0x%x' % (name, extra,
                                   struct.unpack_from('>I', rsp)[0])


class QemuInterposer:
    def __init__(self, args):
        self.a = args
        self.proxy = interposer.Interposer(args)

    def connect_upstream(self):
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(100):            # swtpm may still be starting
            try:
                up.connect(self.a.upstream)
                return up
            except (FileNotFoundError, ConnectionRefusedError):
                threading.Event().wait(0.05)
        up.connect(self.a.upstream)
        return up

    def serve_ctrl(self, client):
        """Relay one QEMU control connection to swtpm's control socket."""
        up = None
        try:
            up = self.connect_upstream()
            while True:
                got = read_request(client)
                if got is None:
                    return
                req, fds = got
                cc = struct.unpack_from('>I', req)[0]
                if cc == CMD['SET_DATAFD']:
                    rsp = self.set_datafd(up, req, fds)
                else:
                    for fd in fds:      # nothing else carries descriptors
                        os.close(fd)
                    up.sendall(req)
                    rsp = read_response(up, cc)
                self.proxy.log(describe(cc, req, rsp))
                client.sendall(rsp)
        except (OSError, EOFError, struct.error) as e:
            self.proxy.log('error control channel: %s' % e)
        finally:
            for s in (client, up):
                if s:
                    s.close()

    def set_datafd(self, up, req, fds):
        """Keep QEMU's data channel; give swtpm one end of our own pair."""
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            up.sendall(req)             # swtpm refuses it without an fd
            return read_response(up, CMD['SET_DATAFD'])
        qemu = socket.socket(fileno=fds[0])
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(up, [req], [theirs.fileno()])
            rsp = read_response(up, CMD['SET_DATAFD'])
        finally:
            theirs.close()
        if struct.unpack_from('>I', rsp)[0] == 0:
            threading.Thread(target=self.proxy.relay, args=(qemu, mine),
                             daemon=True).start()
        else:
            qemu.close()
            mine.close()
        return rsp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--listen', required=True, metavar='SOCK',
                    help="unix socket for QEMU's -chardev socket,path=")
    ap.add_argument('--upstream', required=True, metavar='CTRLSOCK',
                    help="swtpm's --ctrl type=unixio,path=")
    interposer.tamper_options(ap)
    a = ap.parse_args()
    interposer.check_tamper_options(ap, a)
    proxy = QemuInterposer(a)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        os.unlink(a.listen)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        srv.bind(a.listen)
        srv.listen(4)
        print('ready', flush=True)
        while True:
            client, _ = srv.accept()
            threading.Thread(target=proxy.serve_ctrl, args=(client,),
                             daemon=True).start()
    finally:
        srv.close()
        try:
            os.unlink(a.listen)
        except OSError:
            pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
