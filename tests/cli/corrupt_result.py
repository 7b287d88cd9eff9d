"""Makes a damaged copy of a csfpk result file for the `csfpk verify` tests.

usage: corrupt_result.py SOURCE DEST MODE
  truncate: the first 4 KiB only (not a readable HDF5 file)
  drop:     the `concentration` dataset removed
  content:  status failed, a NaN and a negative concentration, a mass-balance error of 1e-3
  doubled:  every concentration doubled, all else (the stored mass balance too) untouched
"""
import shutil
import sys

source, dest, mode = sys.argv[1:4]
if mode == "truncate":
    with open(source, "rb") as f:
        head = f.read(4096)
    with open(dest, "wb") as f:
        f.write(head)
    sys.exit(0)

import h5py  # noqa: E402
import numpy as np  # noqa: E402

shutil.copyfile(source, dest)
with h5py.File(dest, "r+") as f:
    if mode == "drop":
        del f["concentration"]
    elif mode == "content":
        # Fixed-length, as csfpk writes it (h5py would store a str as variable-length, which
        # csfpk refuses to read).
        f.attrs["status"] = np.bytes_("solver failed at 3 h")
        c = f["concentration"]
        c[1, 0, 5] = float("nan")
        c[2, 1, 7] = -1.0
        f["mass_balance_relative_error"][0] = 1e-3
    elif mode == "doubled":
        f["concentration"][...] = 2.0 * f["concentration"][...]
    else:
        sys.exit("unknown mode " + mode)
