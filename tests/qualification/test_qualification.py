"""Qualification against published human data (scripts/qualify.py): the committed report is what
a fresh run gives, and the model keeps the agreement it has today. Thresholds are the issue's
targets where the model meets them; where it does not (the share of test observations within
2-fold), the current level is pinned so that a regression fails, and docs/qualification.md says
plainly that the target is missed."""
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import qualify  # noqa: E402


@pytest.fixture(scope="module")
def results():
    return qualify.run_all()


def test_report_matches_a_fresh_run(results):
    with open(qualify.REPORT) as f:
        assert f.read() == qualify.report(results), "run scripts/qualify.py and commit docs/qualification.md"


def test_at_least_ten_studies_with_protocols(results):
    assert len(results) >= 10
    for sid, role, rows in results:
        folder = os.path.join(qualify.STUDIES, sid)
        readme = open(os.path.join(folder, "README.md")).read()
        assert "Protocol" in readme or "protocol" in readme, sid
        assert role in ("training", "test")
        assert rows, sid
    assert sum(1 for _, role, _ in results if role == "test") >= 8


def test_training_studies_within_two_fold(results):
    for sid, role, rows in results:
        if role == "training":
            for r in rows:
                assert 0.5 <= r["fold"] <= 2.0, (sid, r["quantity"], r["fold"])


def test_test_studies_gmfe_at_most_two(results):
    _, _, within, gmfe = qualify.summary(results, "test")
    assert gmfe <= 2.0
    # Target: 80 % within 2-fold. Not met (docs/qualification.md); guard today's level.
    _, n, within, _ = qualify.summary(results, "test")
    assert within / n >= 0.55


def test_lumbar_half_lives_inside_published_ranges(results):
    # Apparent lumbar half-lives of simulated boluses against the published spread of values:
    # morphine 1.5 h (Sjöström 1987) to 3.3 h (Nordberg 1984); baclofen 0.9–5 h
    # (Sallerin-Caute 1991); ziconotide 4.6 ± 0.9 h SD (Prialt label).
    bands = {"nordberg1984_morphine": (1.2, 3.7), "sjostrom1987_morphine": (1.2, 3.7),
             "sallerincaute1991_baclofen": (0.9, 5.0), "prialt_label_ziconotide": (2.8, 6.4)}
    for sid, role, rows in results:
        if sid in bands:
            for r in rows:
                if r["quantity"] == "half_life":
                    low, high = bands[sid]
                    assert low <= r["predicted"] <= high, (sid, r["predicted"])


def test_calibration_reproduces_the_default_scale():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "qualify.py"), "--calibrate"],
                         check=True, capture_output=True, text=True).stdout
    fitted = float(out.strip().splitlines()[-1].split(":")[-1])
    with open(os.path.join(ROOT, "models", "anatomy", "adult.yaml")) as f:
        text = f.read()
    default = float(text.split("dispersion_scale:")[1].split("value:")[1].split()[0])
    assert math.isclose(fitted, default, rel_tol=0.01)
