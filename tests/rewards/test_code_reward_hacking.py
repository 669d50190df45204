"""Red team: every known way to get code reward without solving the problem gets reward 0.

Each program runs in the real sandbox (real subprocesses, no mocks). Where a hack needs the expected output,
the expected output is a secret the program cannot compute: finding it anywhere (a host file, the host's
environment, another process's memory, its own memory) is the only way to pass. The secret scanner is
checked to work, by a control run where the secret is in reach (in its stdin).
"""

from __future__ import annotations

import json
import os
import random

import pytest

from or1.rewards.code.verifier import CodeVerifier

SECRET = f"or1secret{random.SystemRandom().randrange(10**11, 10**12)}"
SECRET_GT = {"inputs": ["\n"], "outputs": [SECRET]}
SECRET_CALL_GT = {"inputs": [[0]], "outputs": [SECRET], "fn_name": "solve"}
SUM_GT = {"inputs": ["1 2\n", "30 4\n"], "outputs": ["3", "34"]}
SUM = "a, b = map(int, input().split())\nprint(a + b)\n"
CALL_GT = {"inputs": [[1, 2], [30, 4]], "outputs": [3, 34], "fn_name": "add"}

# Looks for the secret everywhere a sandboxed program can read: its stdin, environment and argv, all of
# its own memory (the harness's job included), every descriptor and every file it can open outside the
# system and Python trees, and other processes' /proc files and memory.
SCANNER = r'''
import os, re, sys
PATTERN = re.compile(rb"or1secret\d{12}")
def scan(data):
    m = PATTERN.search(data if isinstance(data, bytes) else str(data).encode("utf-8", "replace"))
    return m and m.group().decode()
def read(path, limit=1 << 20):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except Exception:
        return b""
def memory(pid):
    found = None
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
            for line in maps:
                lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                mem.seek(lo)
                found = found or scan(mem.read(min(hi - lo, 1 << 24)))
    except Exception:
        pass
    return found
def own_memory():
    # /proc/self/mem is closed to a non-dumpable process, so read its own mappings in place.
    import ctypes
    found = None
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if fields[1][0] != "r" or line.rstrip().endswith(("[vvar]", "[vsyscall]", "[vvar_vclock]")):
                continue
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            for at in range(lo, hi, 1 << 24):
                found = found or scan(ctypes.string_at(at, min(hi - at, 1 << 24)))
    return found
def sources():
    yield sys.stdin.read()
    yield os.environ
    yield sys.argv
    yield own_memory() or b""
    for fd in range(64):
        try:
            yield os.pread(fd, 1 << 20, 0)
        except Exception:
            pass
    system = ("/usr", "/lib", "/bin", "/sbin", "/proc", "/sys", sys.prefix, *filter(None, sys.path))
    for d, dirs, files in os.walk("/"):
        dirs[:] = [x for x in dirs if not os.path.join(d, x).startswith(system)]
        for name in files:
            yield read(os.path.join(d, name))
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for part in ("environ", "cmdline"):
            yield read(f"/proc/{pid}/{part}")
        yield memory(pid) or b""
def find():
    for data in sources():
        found = scan(data)
        if found:
            return found
    return "nothing found"
'''


@pytest.fixture(scope="module")
def verifier():
    with CodeVerifier(workers=2, time_limit_s=2.0) as v:
        yield v


def reward(verifier: CodeVerifier, program: str, gt: dict, time_limit_s: float | None = None) -> float:
    result = verifier.score_batch([program], [gt], mode="program", time_limits_s=[time_limit_s])[0]
    return result.reward


HEAD, DIGITS = SECRET[:5], SECRET[5:]  # the program's text never holds the whole secret
IN_REACH = {
    "stdin": ("", f"here: {SECRET}\n"),
    "own_memory": (f"kept = ({HEAD!r} + {DIGITS!r}).encode()\n", "\n"),
    "a_file": (f"open('/tmp/note', 'w').write({HEAD!r} + {DIGITS!r})\n", "\n"),
}


@pytest.mark.parametrize(("prefix", "stdin"), IN_REACH.values(), ids=IN_REACH.keys())
def test_the_scanner_finds_the_secret_when_it_is_in_reach(verifier, prefix, stdin):
    """The control: where the secret is in reach, the scanner prints it and passes."""
    gt = {"inputs": [stdin], "outputs": [SECRET]}
    assert reward(verifier, SCANNER + prefix + "print(find())", gt, time_limit_s=20.0) == 1.0


def test_the_expected_output_cannot_be_read_from_anywhere(verifier, tmp_path, monkeypatch):
    """The secret sits in a world-readable host file (a copy of the tests), in /tmp, in the verifier's
    environment and in its memory; none of it is in reach."""
    for path in (tmp_path / "tests.json", f"/tmp/or1-redteam-{os.getpid()}.json"):
        with open(path, "w") as f:
            json.dump(SECRET_GT, f)
        os.chmod(path, 0o644)
    monkeypatch.setenv("OR1_EXPECTED_OUTPUT", SECRET)
    try:
        assert reward(verifier, SCANNER + "print(find())", SECRET_GT, time_limit_s=20.0) == 0.0
        call = SCANNER + "def solve(x):\n    return find()"
        assert reward(verifier, call, SECRET_CALL_GT, time_limit_s=20.0) == 0.0
    finally:
        os.unlink(f"/tmp/or1-redteam-{os.getpid()}.json")


@pytest.mark.parametrize(
    ("program", "gt"),
    [
        # A float near an integer answer (the tolerance is for expected floats only).
        ("print('1000000008.0')", {"inputs": [""], "outputs": ["1000000007"]}),
        ("print('1e18')", {"inputs": [""], "outputs": ["1000000000000000007"]}),
        ("print(1000000007 * 1.0000000001)", {"inputs": [""], "outputs": ["1000000007"]}),
        ("def f():\n    return 1000000008.0", {"inputs": [[]], "outputs": [1000000007], "fn_name": "f"}),
        ("def f():\n    return [1e18]", {"inputs": [[]], "outputs": [[10**18 + 7]], "fn_name": "f"}),
        ("def f():\n    return {'a': [1e9 + 1]}", {"inputs": [[]], "outputs": [{"a": [10**9 + 7]}], "fn_name": "f"}),
        ("def f():\n    return True", {"inputs": [[]], "outputs": [1], "fn_name": "f"}),  # bool for int
    ],
    ids=["stdout_float", "stdout_1e18", "stdout_product", "call_float", "call_list", "call_dict", "call_bool"],
)
def test_a_float_is_not_an_integer(verifier, program, gt):
    assert reward(verifier, program, gt) == 0.0


EQ_TRICKS = {
    "always_equal": "class A:\n    def __eq__(self, o):\n        return True\n    __hash__ = object.__hash__\n"
    "def add(a, b):\n    return A()",
    "lying_int": "class N(int):\n    def __eq__(self, o):\n        return True\n    __hash__ = int.__hash__\n"
    "    def __repr__(self):\n        return '3'\n    __str__ = __repr__\ndef add(a, b):\n    return N(a - b)",
    "lying_str": "class S(str):\n    def __eq__(self, o):\n        return True\n    def __str__(self):\n"
    "        return '3'\n    __hash__ = str.__hash__\ndef add(a, b):\n    return S('x')",
    "lying_class": "class C:\n    __class__ = property(lambda self: int)\n    def __eq__(self, o):\n"
    "        return True\ndef add(a, b):\n    return C()",
    "lying_list": "class L(list):\n    def __iter__(self):\n        return iter([3])\n    def __len__(self):\n"
    "        return 1\n    def __eq__(self, o):\n        return True\ndef add(a, b):\n    return L([0, 0])",
    "lying_float": "class F(float):\n    def __eq__(self, o):\n        return True\n    __hash__ = float.__hash__\n"
    "    def __repr__(self):\n        return '3'\ndef add(a, b):\n    return F(0.5)",
    "lying_dict_key": "class K(str):\n    def __hash__(self):\n        return 0\n    def __eq__(self, o):\n"
    "        return True\ndef add(a, b):\n    return {K('a'): 1}",
}


@pytest.mark.parametrize("program", EQ_TRICKS.values(), ids=EQ_TRICKS.keys())
def test_objects_that_claim_equality(verifier, program):
    assert reward(verifier, program, CALL_GT) == 0.0


EXITS = {
    "sys_exit_0_first": ("import sys\nsys.exit(0)\n" + SUM, SUM_GT),
    "os_exit_0_first": ("import os\nos._exit(0)\n" + SUM, SUM_GT),
    "exit_in_call": ("import sys\ndef add(a, b):\n    sys.exit(0)", CALL_GT),
    "exit_at_top_of_call": ("import sys\nsys.exit(0)\ndef add(a, b):\n    return a + b", CALL_GT),
    "kill_parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint(0)", SUM_GT),
    "kill_init_and_all": ("import os, signal\nfor p in (1, -1):\n    try:\n        os.kill(p, 9)\n"
                          "    except OSError:\n        pass\nprint(0)", SUM_GT),
    "abort": ("import os\nos.abort()", SUM_GT),
    "swallow_everything": ("try:\n    raise SystemExit(0)\nexcept BaseException:\n    pass\nprint(0)", SUM_GT),
    "hostile_exception": ("class E(Exception):\n    def __str__(self):\n        while True:\n            pass\n"
                          "raise E()", SUM_GT),
    "excepthook": ("import sys\nsys.excepthook = lambda *a: print(3)\nraise ValueError", SUM_GT),
}


@pytest.mark.parametrize(("program", "gt"), EXITS.values(), ids=EXITS.keys())
def test_exiting_crashing_and_killing(verifier, program, gt):
    assert reward(verifier, program, gt, time_limit_s=1.0) == 0.0


CHANNEL = {
    # Frames for every test claiming "ok" with a guessed output, then a clean exit.
    "forged_ok_frames": "import os\nfor i in range(2):\n    os.write(3, b'%d ok 0.0 1 0\\n3' % i)\nos._exit(0)",
    "forged_exit_frame": "import os\nos.write(3, b'-2 exit 0.0 1 0\\n0')\nos._exit(0)",
    "garbage_frame": "import os\nos.write(3, b'x' * 1000)\n" + SUM,
    "huge_frame_header": "import os\nos.write(3, b'0 ok 0.0 999999999999 0\\n')\n" + SUM,
    "closed_channel": "import os\nos.close(3)\nprint(3)",
    "patched_harness": "import sys\nh = sys.modules['harness']\n"
    "h.send = lambda i, status, seconds=0.0, payload=b'', error='', fd=3: h.os.write(3, b'%d ok 0.0 1 0\\n3' % i)\n"
    "print(0)",
    "patched_to_json": "import sys\nsys.modules['harness'].to_json = lambda x: '3'\n"
    "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0\n"
    "def add(a, b):\n    return a * b",
}


@pytest.mark.parametrize("program", CHANNEL.values(), ids=CHANNEL.keys())
def test_writing_to_the_verdict_channel_or_patching_the_harness(verifier, program):
    gt = CALL_GT if "def add" in program else SUM_GT
    assert reward(verifier, program, gt) == 0.0


OUTPUTS = {
    "every_small_number": "for i in range(200000):\n    print(i)",
    "every_number_one_line": "print(' '.join(map(str, range(200000))))",
    "answer_then_junk": SUM + "print('3 ' * 100000)",
    "over_the_output_cap": "import sys\nchunk = '3\\n' * (1 << 19)\nfor _ in range(20):\n    sys.stdout.write(chunk)",
    "huge_return": "def add(a, b):\n    return [3] * 500_000",
}


@pytest.mark.parametrize("program", OUTPUTS.values(), ids=OUTPUTS.keys())
def test_huge_outputs(verifier, program):
    gt = CALL_GT if "def add" in program else SUM_GT
    assert reward(verifier, program, gt) == 0.0


TIMING = {
    # Right on the first test, then past the per-test limit (the clock restarts at each frame).
    "sleep_after_first": "import time\nif input() != '1 2':\n    time.sleep(60)\nprint(3)",
    "busy_after_first": "if input() != '1 2':\n    while True:\n        pass\nprint(3)",
    # A byte every 0.2 s: output keeps flowing, but the test never finishes within its limit.
    "slow_drip": "import sys, time\nwhile True:\n    sys.stdout.write('3')\n    sys.stdout.flush()\n"
    "    time.sleep(0.2)",
    # A child outlives its test and keeps writing to the result channel after the worker reported.
    "lingering_child": "import os, time\nif os.fork() == 0:\n    time.sleep(0.3)\n"
    "    os.write(3, b'1 ok 0.0 2 0\\n34')\n    os._exit(0)\nprint(3 if input() == '1 2' else 0)",
}


@pytest.mark.parametrize("program", TIMING.values(), ids=TIMING.keys())
def test_timing(verifier, program):
    assert reward(verifier, program, SUM_GT, time_limit_s=1.0) == 0.0


def test_the_honest_programs_still_pass(verifier):
    """The same ground truths reward a real solution (so each 0 above is the hack's, not the table's)."""
    assert reward(verifier, SUM, SUM_GT) == 1.0
    assert reward(verifier, "def add(a, b):\n    return a + b", CALL_GT) == 1.0
    assert reward(verifier, "print(1000000007)", {"inputs": [""], "outputs": ["1000000007"]}) == 1.0
