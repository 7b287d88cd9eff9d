"""Regenerates the binary bad-input files deterministically: python3 make_binary.py"""
import pathlib
import random

here = pathlib.Path(__file__).parent
r = random.Random(6)
(here / "binary_garbage.yaml").write_bytes(bytes(r.randrange(256) for _ in range(512)))
(here / "nul_bytes.yaml").write_bytes(b"name: x\x00\x00\nduration: 1 day\n")
