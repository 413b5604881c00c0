"""Drives a program under a real pseudo-terminal, for testing interactive
programs (line editing, completion, history) the way a person uses them.

    import ptyrun
    p = ptyrun.start(["build/flowdb", "-d", "data"], env={"TERM": "xterm"})
    p.expect(r"flowdb> ")
    p.send("SELECT 1;\\r")
    m = p.expect(r"(\\d+)\\n")
    p.send("\\x04")             # Ctrl-D
    assert p.wait() == 0

The program's terminal is the slave side of a new pty, with a window size
set before it runs. Output is matched after escape sequences (CSI such as
colours, cursor motion and bracketed paste, OSC, and the other two-byte
ESC forms), carriage returns and bells are taken out: what remains is the
text as it was written, in order, with newlines. Keys are sent as the
terminal sends them: Enter is "\\r", Tab "\\t", the up arrow "\\x1b[A",
Ctrl-X is chr(ord("X") - 64).

Standard library only. Errors are raised as PtyError, whose message shows
the end of what the program wrote.
"""

import codecs
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time

# Complete escape sequences: CSI (ESC [ params intermediates final), OSC
# (ESC ] ... BEL or ESC \), charset selection (ESC ( B) and the other
# two-byte forms (ESC =, ESC >, ESC M, ...).
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[()*+][ -~]"
    r"|\x1b[ -Z\\^_`a-~]"
)
# A sequence that may still be cut short at the end of what was read.
_PARTIAL = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[()*+])?\Z")
# Characters that only move the cursor or make noise.
_NOISE = re.compile(r"[\r\x07]")

# How much of the output an error message shows.
TAIL_CHARS = 600


class PtyError(Exception):
    """A program under a pty did not do what was expected: no match in
    time, an end of output before the match, or no exit in time."""


def clean(text):
    """Returns text without escape sequences, carriage returns and bells.

    Contract: text is a str; the result keeps every other character, in
    order. A sequence cut short at the very end of text is left in place
    (see Session._read, which holds it back until the rest arrives)."""
    return _NOISE.sub("", _ESCAPE.sub("", text))


class Session:
    """One program running under a pty: created by start(), driven with
    send() and expect(), ended with wait() or close()."""

    def __init__(self, pid, fd, argv):
        """Wraps the child pid whose terminal's master side is fd. Use
        start() rather than this."""
        self.pid = pid
        self.fd = fd
        self.argv = argv
        self.status = None  # the exit status once reaped
        self.eof = False  # the pty reported the end of output
        self.buffer = ""  # cleaned output not yet consumed by expect()
        self.transcript = ""  # all cleaned output, for error messages
        self._raw = ""  # decoded output held back: a sequence cut short
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def _tail(self):
        """Returns the end of the output seen so far, quoted for a message."""
        tail = self.transcript[-TAIL_CHARS:]
        return "\n".join("    | " + line for line in tail.split("\n"))

    def _read(self, timeout):
        """Reads what the program wrote within timeout seconds (0: only
        what is there) into buffer and transcript. Returns True when
        something came, False otherwise; sets eof at the end of output."""
        if self.eof:
            return False
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the slave side is closed everywhere
            data = b""
        if not data:
            self.eof = True
            text = self._raw + self._decoder.decode(b"", final=True)
            self._raw = ""
        else:
            text = self._raw + self._decoder.decode(data)
            partial = _PARTIAL.search(text)
            self._raw = text[partial.start():] if partial else ""
            text = text[:partial.start()] if partial else text
        text = clean(text)
        self.buffer += text
        self.transcript += text
        return True

    def send(self, text):
        """Writes text (str, sent as UTF-8) to the program's terminal, as
        typed keys. Contract: returns once all of it is written; raises
        PtyError when the program's terminal is gone."""
        data = text.encode("utf-8")
        while data:
            try:
                n = os.write(self.fd, data)
            except OSError as e:
                raise PtyError(f"cannot send {text!r} to {self.argv[0]}: {e}\n"
                               f"output so far:\n{self._tail()}") from None
            data = data[n:]

    def expect(self, regex, timeout=5.0):
        """Waits until regex matches the cleaned output received since the
        end of the previous match, and returns the re.Match.

        Contract: regex is a str pattern or compiled pattern, searched (not
        anchored) with re.search. The output up to the end of the match is
        consumed; what follows stays for the next expect(). Raises PtyError
        showing the tail of the output when timeout seconds pass, or the
        program's output ends, without a match."""
        pattern = re.compile(regex) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        while True:
            m = pattern.search(self.buffer)
            if m:
                self.buffer = self.buffer[m.end():]
                return m
            left = deadline - time.monotonic()
            if self.eof or left <= 0:
                why = "the output ended" if self.eof else f"{timeout:g} s passed"
                raise PtyError(f"{why} before {pattern.pattern!r} showed "
                               f"from {self.argv[0]}; the output ended with:\n"
                               f"{self._tail()}")
            self._read(left)

    def _poll(self):
        """Reaps the child if it has exited. Returns the exit status (see
        wait()) or None while it runs."""
        if self.status is None:
            pid, raw = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = (os.WEXITSTATUS(raw) if os.WIFEXITED(raw)
                               else -os.WTERMSIG(raw))
        return self.status

    def wait(self, timeout=5.0):
        """Waits for the program to exit, reading its output meanwhile (so
        it never blocks writing), and returns its exit status: the exit
        code, or minus the signal number that killed it.

        Contract: when it has not exited within timeout seconds it is
        killed (SIGKILL) and reaped, and PtyError is raised. The output it
        wrote stays available to expect() afterwards."""
        deadline = time.monotonic() + timeout
        while self._poll() is None:
            if time.monotonic() >= deadline:
                self.close()
                raise PtyError(f"{self.argv[0]} did not exit within {timeout:g} s "
                               f"and was killed; the output ended with:\n"
                               f"{self._tail()}")
            if not self._read(0.05) and self.eof:
                time.sleep(0.01)
        while self._read(0):
            pass
        return self.status

    def close(self):
        """Kills the program if it still runs, reaps it and closes the pty.
        Contract: safe to call more than once, and after wait()."""
        if self._poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, raw = os.waitpid(self.pid, 0)
            self.status = (os.WEXITSTATUS(raw) if os.WIFEXITED(raw)
                           else -os.WTERMSIG(raw))
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            self.eof = True

    def __enter__(self):
        """Returns the session, for use in a with statement."""
        return self

    def __exit__(self, *exc):
        """Closes the session (see close()); never suppresses an error."""
        self.close()
        return False


def start(argv, env=None, cols=120, rows=40):
    """Runs argv (a list; argv[0] searched in PATH) under a new pty whose
    window is cols x rows, and returns its Session.

    Contract: env is the program's whole environment (a dict), or None for
    this process's. The window size is set on the terminal before the
    program runs, so it reads the right size at once. If argv[0] cannot be
    run, the child writes why and exits with 127: wait() tells."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            if env is None:
                os.execvp(argv[0], argv)
            else:
                os.execvpe(argv[0], argv, env)
        except BaseException as e:  # still the child: never return
            os.write(2, f"ptyrun: cannot run {argv[0]}: {e}\n".encode())
        os._exit(127)
    return Session(pid, fd, list(argv))
