#!/usr/bin/python3
"""Drive attest_tpm2_primary's password prompt on a real pseudo-terminal.

  pty_prompt.py type DELAY PASSWORD -- CMD...   wait for the prompt, wait
        DELAY seconds more, type PASSWORD and Enter; exit with CMD's status
  pty_prompt.py signal SIG -- CMD...            wait for the prompt, send
        signal SIG (a number) to CMD; print "echo=on" or "echo=off" for the
        terminal after CMD ended, and exit 0

The terminal is the command's controlling one, as for a person typing.
"""
import os
import pty
import select
import sys
import termios
import time

PROMPT = b'Enter EK hierarchy authority: '


def read_until(fd, want, limit):
    buf = b''
    end = time.time() + limit
    while want not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def main():
    action, arg = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    if action == 'type':
        password, rest = rest[0], rest[1:]
    cmd = rest[rest.index('--') + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    seen = read_until(fd, PROMPT, 10)
    if PROMPT not in seen:
        print('no prompt: %r' % seen, file=sys.stderr)
        os.kill(pid, 9)
        sys.exit(99)
    # Echo is turned off just after the prompt is written.
    time.sleep(0.3)
    if action == 'type':
        time.sleep(float(arg))
        os.write(fd, password.encode() + b'\n')
        out = read_until(fd, b'\x00never', 30)
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(out.decode(errors='replace'))
        sys.exit(os.waitstatus_to_exitcode(status))
    os.kill(pid, int(arg))
    _, status = os.waitpid(pid, 0)
    attrs = termios.tcgetattr(fd)
    print('echo=on' if attrs[3] & termios.ECHO else 'echo=off')


main()
