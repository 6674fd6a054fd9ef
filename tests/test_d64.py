"""D64 images, read back with independent tools: cc1541 (Debian) and the `d64` PyPI package."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c64ml.errors import C64mlError
from c64ml.package.d64 import (
    D64_SIZE,
    make_d64,
    read_d64,
    sector_offset,
    sectors_in_track,
)
from c64ml.package.prg import make_prg, prg_with_stub


def _missing(what: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI but is not installed")
    pytest.skip(f"{what} is not installed")


def need_tool(name: str) -> str:
    return shutil.which(name) or _missing(name)


def need_d64_package():
    try:
        return importlib.import_module("d64")
    except ImportError:
        _missing("the d64 Python package (pip install d64)")


FILES = [
    ("HELLO", prg_with_stub(0x080D, b"\xA9\x01\x60")),
    ("BIG DATA", make_prg(0x1000, bytes((i * 7 + 3) & 0xFF for i in range(30000)))),
    ("EXACT", make_prg(0xC000, bytes(252))),  # exactly one full sector (254 bytes)
    ("TWO", make_prg(0xC000, bytes(253))),    # one byte into a second sector
]


def test_geometry():
    assert sum(sectors_in_track(t) for t in range(1, 36)) == 683
    assert [sectors_in_track(t) for t in (1, 17, 18, 24, 25, 30, 31, 35)] == \
        [21, 21, 19, 19, 18, 18, 17, 17]
    assert sector_offset(18, 0) == 0x16500  # the BAM's well-known offset
    assert len(make_d64([], "EMPTY", "00")) == D64_SIZE == 174848


def test_bam_and_header_bytes():
    img = make_d64(FILES[:1], "MY DISK", "AB")
    bam = img[0x16500:0x16600]
    assert bam[:4] == bytes([18, 1, 0x41, 0])
    assert bam[0x90:0xA0] == b"MY DISK" + b"\xa0" * 9
    assert bam[0xA0:0xAB] == b"\xa0\xa0AB\xa02A\xa0\xa0\xa0\xa0"
    # Track 18: BAM and one directory sector used; HELLO takes one block elsewhere.
    assert bam[4 * 18] == 17  # track t's entry is at 4 * t
    assert sum(bam[4 * t] for t in range(1, 36) if t != 18) == 663
    dir0 = img[sector_offset(18, 1):sector_offset(18, 1) + 256]
    assert dir0[:2] == b"\x00\xff"
    assert dir0[2] == 0x82 and dir0[5:21] == b"HELLO" + b"\xa0" * 11 and dir0[30:32] == b"\x01\x00"


def test_round_trip_and_cc1541_listing(tmp_path):
    cc1541 = need_tool("cc1541")
    img = make_d64(FILES, "C64ML TEST", "CM")
    assert read_d64(img) == FILES
    path = tmp_path / "t.d64"
    path.write_bytes(img)
    # -V: refuse to touch an image that is not valid CBM DOS format.
    out = subprocess.run([cc1541, "-V", str(path)], capture_output=True, text=True,
                         check=True).stdout
    entries = re.findall(r'^(\d+)\s+"([^"]*)"\s+prg', out, re.M)
    blocks = [(len(d) + 253) // 254 for _, d in FILES]
    assert [(int(b), n.upper()) for b, n in entries] == list(zip(blocks, [n for n, _ in FILES]))
    assert f"{664 - sum(blocks)} blocks free" in out
    assert '"c64ml test      " cm 2a' in out.lower()
    assert path.read_bytes() == img  # -V left it alone


def test_d64_package_reads_our_files_and_fsck_passes(tmp_path):
    d64 = need_d64_package()
    path = tmp_path / "t.d64"
    path.write_bytes(make_d64(FILES, "C64ML TEST", "CM"))
    with d64.DiskImage(str(path)) as image:
        for name, data in FILES:
            with image.path(name.encode()).open() as f:
                assert f.read() == data
    fsck = subprocess.run([sys.executable, "-c", "from d64.scripts.d64_fsck import main; main()",
                           str(path)], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert fsck.stdout.count("\nOK\n") == 5, fsck.stdout


def test_our_reader_reads_cc1541_images(tmp_path):
    cc1541 = need_tool("cc1541")
    args = [cc1541, "-q", "-n", "OTHER", "-i", "ZZ"]
    for i, (name, data) in enumerate(FILES):
        (tmp_path / f"f{i}.prg").write_bytes(data)
        args += ["-f", name.lower(), "-w", str(tmp_path / f"f{i}.prg")]
    subprocess.run(args + [str(tmp_path / "o.d64")], check=True, capture_output=True)
    got = read_d64((tmp_path / "o.d64").read_bytes())
    assert [(n.upper(), d) for n, d in got] == FILES


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=12))
def test_random_files_round_trip(payloads):
    files = [(f"F{i}", b"\x00\xc0" + p) for i, p in enumerate(payloads)]
    assert read_d64(make_d64(files, "R", "00")) == files


def test_full_disk_and_full_directory():
    full = [("A", bytes(664 * 254))]
    assert read_d64(make_d64(full, "FULL", "00")) == full
    with pytest.raises(C64mlError, match="do not fit"):
        make_d64([("A", bytes(664 * 254 + 1))], "FULL", "00")
    many = [(f"N{i}", b"\x00\xc0\x01") for i in range(144)]
    img = make_d64(many, "MANY", "00")
    assert read_d64(img) == many
    with pytest.raises(C64mlError, match="144"):
        make_d64(many + [("X", b"\x00\xc0\x01")], "MANY", "00")


@pytest.mark.parametrize("files, name, disk_id, why", [
    ([("A", b"\x01\x08\x60"), ("a", b"\x01\x08\x60")], "D", "00", "same name"),
    ([("", b"\x01\x08\x60")], "D", "00", "empty"),
    ([("X" * 17, b"\x01\x08\x60")], "D", "00", "longer than 16"),
    ([("A,B", b"\x01\x08\x60")], "D", "00", "cannot hold"),
    ([("\u00e9", b"\x01\x08\x60")], "D", "00", "cannot hold"),
    ([("A", b"\x01")], "D", "00", "2-byte"),
    ([("A", b"\x01\x08\x60")], "D", "0", "2 characters"),
])
def test_bad_requests(files, name, disk_id, why):
    with pytest.raises(C64mlError, match=why):
        make_d64(files, name, disk_id)


def test_corrupt_images_give_clean_errors():
    img = bytearray(make_d64(FILES[:2], "X", "00"))
    with pytest.raises(C64mlError, match="not a 35-track"):
        read_d64(bytes(img[:-1]), "x.d64")
    first = img[sector_offset(18, 1) + 3], img[sector_offset(18, 1) + 4]
    loop = bytearray(img)
    off = sector_offset(*first)
    loop[off:off + 2] = bytes(first)  # first sector links to itself
    with pytest.raises(C64mlError, match="loops"):
        read_d64(bytes(loop), "x.d64")
    bad = bytearray(img)
    bad[sector_offset(18, 0)] = 40
    with pytest.raises(C64mlError, match="bad track/sector") as e:
        read_d64(bytes(bad), "x.d64")
    assert e.value.line().startswith("x.d64: ")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, D64_SIZE - 1), st.integers(0, 255)), max_size=20))
def test_mutated_images_never_crash(pokes):
    img = bytearray(make_d64(FILES[:2], "X", "00"))
    for where, value in pokes:
        img[where] = value
    try:
        read_d64(bytes(img))
    except C64mlError:
        pass
