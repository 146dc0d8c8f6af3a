#!/usr/bin/env python3
"""Writes numbered files into a directory, fsyncing each; after each fsync returns, its
number is appended (and fsynced) to a record outside the mount. Runs until killed or
until an I/O error (the mount going away)."""
import os
import sys

target, record = sys.argv[1], sys.argv[2]
with open(record, "a") as log:
    i = 0
    while True:
        content = (f"file {i} " * 200).encode()
        try:
            with open(os.path.join(target, f"f{i:05d}"), "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            sys.exit(0)
        log.write(f"{i}\n")
        log.flush()
        os.fsync(log.fileno())
        i += 1
