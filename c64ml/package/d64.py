"""1541 disk images (.d64): 35 tracks, 683 sectors of 256 bytes, CBM DOS 2.6 layout.

* Track 18 sector 0 is the BAM: link to the first directory sector (18/1), DOS
  version 'A', then 4 bytes per track (free count + a 24-bit free map, bit set =
  free), disk name at offset $90 (16 bytes, $A0-padded), disk ID at $A2, DOS type
  "2A" at $A5.
* The directory is a chain of sectors on track 18 (1, 4, 7, ...: interleave 3),
  eight 32-byte entries each: type ($82 = closed PRG), first track/sector, name
  (16 bytes, $A0-padded), size in blocks at offset 30.
* Each file is a chain of sectors: bytes 0-1 link to the next track/sector and
  254 data bytes follow; the last sector has track 0 and, as "sector", the index
  of its last used byte. Files are placed from track 17 outwards, alternating
  sides of the directory track, with the 1541's data interleave of 10.
"""

from __future__ import annotations

from pathlib import Path

from c64ml.errors import C64mlError
from c64ml.text import D64_CHARS, D64_NAME_LEN, d64_name

TRACKS = 35
DIR_TRACK = 18
D64_SIZE = 174848
D64_SIZE_WITH_ERRORS = D64_SIZE + 683
DATA_INTERLEAVE = 10
DIR_INTERLEAVE = 3
NAME_LEN = D64_NAME_LEN
PRG_CLOSED = 0x82
_PAD = 0xA0


def disk_file_name(path: str) -> str:
    """The 1541 name for a file written to ``path``: its stem, upper case, at most 16 characters."""
    return d64_name(Path(path).stem, "PROGRAM")


def sectors_in_track(track: int) -> int:
    """Sectors on a 1541 track (1-based): 21, 19, 18 or 17 by speed zone."""
    if not 1 <= track <= TRACKS:
        raise ValueError(track)
    return 21 if track <= 17 else 19 if track <= 24 else 18 if track <= 30 else 17


_TRACK_OFFSET = [0] * (TRACKS + 2)
for _t in range(1, TRACKS + 1):
    _TRACK_OFFSET[_t + 1] = _TRACK_OFFSET[_t] + sectors_in_track(_t)


def sector_offset(track: int, sector: int) -> int:
    """Byte offset of a track/sector in the image."""
    return (_TRACK_OFFSET[track] + sector) * 256


def _petscii_field(text: str, length: int, what: str) -> bytes:
    """Upper-case ASCII text as unshifted PETSCII, $A0-padded to ``length``."""
    upper = text.upper()  # may be longer: "ß".upper() == "SS"
    if len(upper) > length:
        raise C64mlError(f"{what} {text!r} is longer than {length} characters")
    out = bytearray()
    for ch in upper:
        if ch not in D64_CHARS:
            raise C64mlError(f"{what} {text!r} has a character a 1541 name cannot hold: {ch!r}")
        out.append(ord(ch))
    return bytes(out) + bytes([_PAD]) * (length - len(out))


def _decode_name(raw: bytes) -> str:
    name = raw.rstrip(bytes([_PAD]))
    return "".join(chr(b) if 0x20 <= b <= 0x5F else chr(b - 0x80) if 0xC1 <= b <= 0xDA
                   else "?" for b in name)


def _track_order() -> list[int]:
    """Data tracks nearest the directory first: 17, 19, 16, 20, ..."""
    order = []
    for d in range(1, TRACKS):
        for t in (DIR_TRACK - d, DIR_TRACK + d):
            if 1 <= t <= TRACKS:
                order.append(t)
    return order


def make_d64(files: list[tuple[str, bytes]], disk_name: str = "C64ML",
             disk_id: str = "64") -> bytes:
    """A blank-formatted D64 holding ``files`` as closed PRG files, in order."""
    names = [_petscii_field(n, NAME_LEN, "file name") for n, _ in files]
    if any(not n.rstrip(bytes([_PAD])) for n in names):
        raise C64mlError("file name is empty")
    if len(set(names)) != len(names):
        raise C64mlError("two files have the same name on the disk")
    if len(files) > 144:
        raise C64mlError(f"{len(files)} files; a 1541 directory holds at most 144")
    if len(disk_id) != 2:
        raise C64mlError(f"disk ID {disk_id!r} must be 2 characters")
    img = bytearray(D64_SIZE)
    free = {t: set(range(sectors_in_track(t))) for t in range(1, TRACKS + 1)}

    def alloc_chain(count: int) -> list[tuple[int, int]]:
        chain: list[tuple[int, int]] = []
        tracks = iter(_track_order())
        track = next(tracks)
        sector = 0
        while len(chain) < count:
            while not free[track]:
                try:
                    track = next(tracks)
                except StopIteration:
                    raise C64mlError("files do not fit on one disk (664 blocks)") from None
                sector = 0
            n = sectors_in_track(track)
            while sector % n not in free[track]:
                sector += 1
            sector %= n
            free[track].discard(sector)
            chain.append((track, sector))
            sector = (sector + DATA_INTERLEAVE) % n
        return chain

    # The BAM sector and the first directory sector are always in use.
    free[DIR_TRACK] -= {0, 1}
    dir_sectors = [1]
    entries = []
    for name, (_, data) in zip(names, files):
        if len(data) < 2:
            raise C64mlError("a file on disk must hold at least a 2-byte load address")
        blocks = (len(data) + 253) // 254
        chain = alloc_chain(blocks)
        for i, (t, s) in enumerate(chain):
            part = data[i * 254:(i + 1) * 254]
            off = sector_offset(t, s)
            if i + 1 < len(chain):
                img[off:off + 2] = bytes(chain[i + 1])
            else:
                img[off:off + 2] = bytes((0, len(part) + 1))
            img[off + 2:off + 2 + len(part)] = part
        entries.append(bytes((PRG_CLOSED,)) + bytes(chain[0]) + name + bytes(9)
                       + blocks.to_bytes(2, "little"))
    # Directory chain on track 18, interleave 3.
    while len(dir_sectors) * 8 < len(entries):
        s = (dir_sectors[-1] + DIR_INTERLEAVE) % sectors_in_track(DIR_TRACK)
        while s not in free[DIR_TRACK]:
            s = (s + 1) % sectors_in_track(DIR_TRACK)
        free[DIR_TRACK].discard(s)
        dir_sectors.append(s)
    for k, s in enumerate(dir_sectors):
        off = sector_offset(DIR_TRACK, s)
        for j, entry in enumerate(entries[k * 8:(k + 1) * 8]):
            img[off + j * 32 + 2:off + j * 32 + 32] = entry
        link = (DIR_TRACK, dir_sectors[k + 1]) if k + 1 < len(dir_sectors) else (0, 0xFF)
        img[off:off + 2] = bytes(link)
    # BAM.
    bam = sector_offset(DIR_TRACK, 0)
    img[bam:bam + 4] = bytes((DIR_TRACK, 1, 0x41, 0))
    for t in range(1, TRACKS + 1):
        bits = sum(1 << s for s in free[t])
        img[bam + 4 * t:bam + 4 * t + 4] = bytes((len(free[t]),)) + bits.to_bytes(3, "little")
    img[bam + 0x90:bam + 0xA0] = _petscii_field(disk_name, NAME_LEN, "disk name")
    img[bam + 0xA0:bam + 0xAB] = (bytes((_PAD, _PAD)) + _petscii_field(disk_id, 2, "disk ID")
                                  + bytes((_PAD,)) + b"2A" + bytes((_PAD,)) * 4)
    return bytes(img)


def _follow(img: bytes, track: int, sector: int, what: str) -> list[tuple[int, int]]:
    """Track/sector chain from ``track/sector``, checked for bad links and loops."""
    seen: list[tuple[int, int]] = []
    visited = set()
    while True:
        if not 1 <= track <= TRACKS or not 0 <= sector < sectors_in_track(track):
            raise C64mlError(f"{what}: bad track/sector link {track}/{sector}")
        if (track, sector) in visited:
            raise C64mlError(f"{what}: sector chain loops at {track}/{sector}")
        visited.add((track, sector))
        seen.append((track, sector))
        off = sector_offset(track, sector)
        track, sector = img[off], img[off + 1]
        if track == 0:
            return seen


def read_d64(data: bytes, path=None) -> list[tuple[str, bytes]]:
    """The closed PRG files of a D64 image as ``(name, prg_bytes)``, in directory order."""
    if len(data) not in (D64_SIZE, D64_SIZE_WITH_ERRORS):
        raise C64mlError(f"{len(data)} bytes is not a 35-track D64 ({D64_SIZE} bytes)", path)
    img = bytes(data[:D64_SIZE])
    try:
        bam = sector_offset(DIR_TRACK, 0)
        files = []
        for t, s in _follow(img, img[bam], img[bam + 1], "directory"):
            off = sector_offset(t, s)
            for j in range(8):
                e = img[off + j * 32:off + j * 32 + 32]
                if e[2] & 0x07 != 2 or not e[2] & 0x80:
                    continue  # deleted, not PRG, or not closed
                name = _decode_name(e[5:21])
                body = bytearray()
                chain = _follow(img, e[3], e[4], f"file {name!r}")
                for i, (ft, fs) in enumerate(chain):
                    o = sector_offset(ft, fs)
                    if i + 1 < len(chain):
                        body += img[o + 2:o + 256]
                    else:
                        last = img[o + 1]
                        if last < 1:
                            raise C64mlError(f"file {name!r}: bad last-sector byte count")
                        body += img[o + 2:o + last + 1]
                files.append((name, bytes(body)))
        return files
    except C64mlError as e:
        raise e.at(path) from None
