"""Event tables in the NM-TRAN layout (NONMEM, mrgsolve, rxode2/nlmixr2), as ``csfpk export
--nmtran`` writes them."""

from __future__ import annotations

import os

import pandas as pd

NMTRAN_COLUMNS = ("ID", "TIME", "EVID", "AMT", "RATE", "II", "ADDL", "CMT", "DRUG", "DV", "MDV",
                  "FLOW")


def read_nmtran(path: str | os.PathLike) -> pd.DataFrame:
    """An NM-TRAN table as a pandas DataFrame with its NM-TRAN column names.

    The ``# units:`` and ``# CMT:`` comment lines csfpk writes are returned in
    ``frame.attrs["units"]`` (column → unit, e.g. ``{"TIME": "h", "AMT": "ug"}``) and
    ``frame.attrs["compartments"]`` (CMT number → name: ``{1: "catheter_tip", 11: "lumbar"}``);
    a table without them gives empty mappings. ``DRUG`` is read as text, the rest as numbers.
    """
    units: dict[str, str] = {}
    compartments: dict[int, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith(("#", "@")):
                break
            body = line[1:].strip()
            if body.startswith("units:"):
                for item in body[len("units:"):].split(","):
                    column, _, unit = item.strip().partition(" ")
                    if column:
                        units[column.upper()] = unit.strip()
            elif body.startswith("CMT:"):
                for item in body[len("CMT:"):].split(","):
                    number, _, name = item.strip().partition(" ")
                    if number:
                        compartments[int(number)] = name.strip()
    frame = pd.read_csv(path, skiprows=_comment_lines(path),
                        dtype={"DRUG": str}, keep_default_na=False, na_values=["."],
                        float_precision="round_trip")
    frame.columns = [str(c).upper() for c in frame.columns]
    frame.attrs["units"] = units
    frame.attrs["compartments"] = compartments
    return frame


def _comment_lines(path) -> int:
    count = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith(("#", "@")):
                break
            count += 1
    return count
