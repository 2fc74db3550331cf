#!/usr/bin/env python3
"""Independent check of the SDAC GOES FITS samples, standard library only.

Walks the 2880-byte header blocks, finds the FLUXES table by EXTNAME and decodes
the TIME (float64 BE) and FLUX (float32 BE, [long, short] pairs) vectors with
struct. The Go tests in fits_test.go and the decode tests in package noaa
compare against the numbers this prints.

Usage: python3 verify_samples.py /path/to/go1520110607.fits [...]
"""
import gzip
import struct
import sys


def hdus(data):
    off = 0
    while off + 2880 <= len(data):
        cards = {}
        pos = off
        done = False
        while not done:
            block = data[pos:pos + 2880]
            pos += 2880
            for i in range(0, 2880, 80):
                card = block[i:i + 80].decode("ascii")
                key = card[:8].strip()
                if key == "END":
                    done = True
                    break
                if card[8:10] == "= ":
                    val = card[10:].split("/")[0].strip() if "'" not in card[10:] else card[10:].split("'")[1].strip()
                    cards.setdefault(key, val)
        size = 0
        if int(cards["NAXIS"]) > 0:
            size = abs(int(cards["BITPIX"])) // 8
            for k in range(1, int(cards["NAXIS"]) + 1):
                size *= int(cards["NAXIS%d" % k])
        yield cards, data[pos:pos + size]
        off = pos + (size + 2879) // 2880 * 2880


def main():
    for path in sys.argv[1:]:
        raw = open(path, "rb").read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        for cards, body in hdus(raw):
            if cards.get("EXTNAME") != "FLUXES":
                continue
            n = int(cards["TFORM1"].rstrip("D"))
            times = struct.unpack(">%dd" % n, body[:8 * n])
            flux = struct.unpack(">%df" % (2 * n), body[8 * n:8 * n + 8 * n])
            long_, short = flux[0::2], flux[1::2]
            print(path)
            print("  N", n, "TIMEZERO", cards["TIMEZERO"], "DATE-OBS?", "see primary")
            for i in (0, 1, n // 2, n - 1):
                print("  i=%d time=%r long=%r short=%r" % (i, times[i], long_[i], short[i]))
            print("  fill(-99999) long", sum(1 for v in long_ if v == -99999.0),
                  "short", sum(1 for v in short if v == -99999.0))
            print("  negative times", sum(1 for t in times if t < 0),
                  "non-increasing steps", sum(1 for a, b in zip(times, times[1:]) if b <= a))
            print("  max long %r at i=%d" % (max(long_), long_.index(max(long_))))
            print("  max short %r at i=%d" % (max(short), short.index(max(short))))


if __name__ == "__main__":
    main()
