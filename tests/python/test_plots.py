"""Every plot function draws a non-blank figure from real result files (compartmental) and from
synthetic 1D and sweep files, and refuses clearly when the data it needs is missing."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import csfpk  # noqa: E402
from csfpk import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def draw(fig, figure_dir, name, check_png):
    path = figure_dir / f"{name}.png"
    plots.save(fig, path)
    check_png(path)
    return path


@pytest.fixture(scope="module")
def p1(result):
    return csfpk.open(result("p1"), load=True)


@pytest.fixture(scope="module")
def boluses(result):
    return csfpk.open(result("morphine_clonidine_patient_boluses"), load=True)


@pytest.fixture(scope="module")
def one_d(synthetic_files):
    return csfpk.open(synthetic_files["one_d"], load=True)


@pytest.fixture(scope="module")
def spinal(one_d_file):
    return csfpk.open(one_d_file, load=True)


@pytest.fixture(scope="module")
def sweep(synthetic_files):
    return csfpk.open(synthetic_files["sweep"], load=True)


def test_concentration(p1, boluses, one_d, figure_dir, check_png):
    fig = csfpk.plot_concentration(p1)
    assert len(fig.axes) == 4  # one panel per drug
    assert all("concentration (" in ax.get_ylabel() for ax in fig.axes)
    assert fig.axes[-1].get_xlabel() == "time (day)"
    draw(fig, figure_dir, "concentration_p1", check_png)
    fig = csfpk.plot_concentration(boluses, drug="morphine", sites=["lumbar", "plasma"], time_unit="h")
    assert fig.axes[0].get_yscale() == "log"  # CSF and plasma are decades apart
    assert fig.axes[0].get_xlabel() == "time (h)"
    draw(fig, figure_dir, "concentration_boluses_h", check_png)
    fig = csfpk.plot_concentration(one_d, drug="morphine", levels=["T10", "C5"], sites=["plasma"])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["T10", "C5", "plasma"]
    draw(fig, figure_dir, "concentration_one_d", check_png)
    fig, ax = plt.subplots()
    assert csfpk.plot_concentration(boluses, drug="clonidine", ax=ax) is fig
    with pytest.raises(ValueError, match="no site 'sacral'"):
        csfpk.plot_concentration(p1, sites=["sacral"])
    with pytest.raises(ValueError, match="no drug 'heroin'"):
        csfpk.plot_concentration(p1, drug="heroin")


def test_overview_and_pump(p1, boluses, result, figure_dir, check_png):
    fig = csfpk.plot_overview(boluses)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "bolus denied (15)" in labels and "bolus given (20)" in labels
    draw(fig, figure_dir, "overview_boluses", check_png)
    draw(csfpk.plot_pump(p1), figure_dir, "pump_p1", check_png)
    dry = csfpk.open(result("baclofen_reservoir_runs_dry"), load=True)
    fig = csfpk.plot_pump(dry)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "reservoir empty (1)" in labels and "refill (1)" in labels
    assert fig.axes[-1].get_ylabel() == "reservoir (mL)"
    draw(fig, figure_dir, "pump_dry", check_png)
    draw(csfpk.plot_overview(csfpk.open(result("baclofen_trial_bolus"), load=True)),
         figure_dir, "overview_trial_bolus", check_png)


def test_profiles(p1, one_d, spinal, figure_dir, check_png):
    fig = csfpk.plot_profiles(p1, drug="morphine")
    assert fig.axes[0].get_xlabel() == "CSF region (caudal → cranial)"
    draw(fig, figure_dir, "profiles_p1", check_png)
    fig = csfpk.plot_profiles(one_d, times=[2, 12, 40], drug="morphine")
    assert "cm from sacral end" in fig.axes[0].get_xlabel()
    assert any(child.get_xlabel() == "vertebral level" for child in fig.axes[0].child_axes)
    draw(fig, figure_dir, "profiles_one_d", check_png)
    with pytest.raises(ValueError, match="outside the run"):
        csfpk.plot_profiles(one_d, times=[100])
    draw(csfpk.plot_profiles(spinal), figure_dir, "profiles_spinal", check_png)
    draw(csfpk.plot_overview(spinal), figure_dir, "overview_spinal", check_png)


def test_kymograph(p1, one_d, spinal, figure_dir, check_png):
    fig = csfpk.plot_kymograph(one_d, drug="morphine")
    texts = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "T10" in texts and "C1" in texts  # vertebral levels on the secondary axis
    assert any("µg/mL" in ax.get_ylabel() for ax in fig.axes)  # colour bar with units
    draw(fig, figure_dir, "kymograph_one_d", check_png)
    draw(csfpk.plot_kymograph(spinal), figure_dir, "kymograph_spinal", check_png)
    with pytest.raises(ValueError, match="compartmental"):
        csfpk.plot_kymograph(p1)


def test_dermatome_coverage(p1, one_d, spinal, figure_dir, check_png):
    draw(csfpk.plot_dermatome_coverage(spinal), figure_dir, "dermatome_spinal", check_png)
    fig = csfpk.plot_dermatome_coverage(one_d)
    assert len([ax for ax in fig.axes if ax.get_xlabel()]) == 2  # one panel per drug
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0].startswith("C2") and labels[-1].startswith("S5")  # head at the top
    draw(fig, figure_dir, "dermatome_one_d", check_png)
    with pytest.raises(ValueError, match="dermatome_coverage"):
        csfpk.plot_dermatome_coverage(p1)


def test_population(sweep, boluses, figure_dir, check_png):
    fig = csfpk.plot_population(sweep)
    assert "11 of 12 runs" in fig.axes[0].get_title()
    draw(fig, figure_dir, "population_sweep", check_png)
    fig = csfpk.plot_population(sweep, sites=["lumbar"], percentiles=(10, 50, 90), log=False)
    assert fig.axes[0].get_yscale() == "linear"
    draw(fig, figure_dir, "population_sweep_lumbar", check_png)
    combined = csfpk.combine_runs([boluses, boluses])
    draw(csfpk.plot_population(combined, drug="morphine"), figure_dir, "population_combined", check_png)
    with pytest.raises(ValueError, match="several runs"):
        csfpk.plot_population(boluses)
    with pytest.raises(ValueError, match="odd number"):
        csfpk.plot_population(sweep, percentiles=(25, 75))


def test_sobol_and_summary_distribution(synthetic_files, sweep, p1, figure_dir, check_png):
    sobol = csfpk.open(synthetic_files["sobol"], load=True)
    fig = csfpk.plot_sobol(sobol, "auc", label="cranial", bootstrap=100)
    assert "auc, morphine, cranial" in fig.axes[0].get_title()
    path = figure_dir / "sobol.png"
    plots.save(fig, path)
    check_png(path, min_side=200)
    fig = csfpk.plot_summary_distribution(sobol, "mean")
    assert "300 shown" in fig.axes[0].get_title()  # thousands of runs: dots subsampled
    draw(fig, figure_dir, "distribution_sobol", check_png)
    draw(csfpk.plot_summary_distribution(sweep, "auc"), figure_dir, "distribution_sweep", check_png)
    with pytest.raises(ValueError, match="design type sobol"):
        csfpk.plot_sobol(sweep)
    with pytest.raises(ValueError, match="summaries only"):
        csfpk.plot_population(sobol)
    with pytest.raises(ValueError, match="no time series"):
        csfpk.plot_concentration(sobol)
    with pytest.raises(ValueError, match="needs a sweep"):
        csfpk.plot_summary_distribution(p1)


def test_single_run_plots_of_a_sweep_draw_one_run(sweep, figure_dir, check_png):
    fig = csfpk.plot_concentration(sweep, run=2)
    assert "(run 2)" in fig._suptitle.get_text()
    draw(fig, figure_dir, "concentration_sweep_run2", check_png)


def test_style_does_not_leak_or_reset_interactive():
    before = dict(matplotlib.rcParams)
    matplotlib.interactive(False)
    with plots.style():
        matplotlib.interactive(True)  # what Jupyter's inline backend does on first draw
        assert matplotlib.rcParams["savefig.dpi"] == plots.STYLE["savefig.dpi"]
    assert matplotlib.is_interactive()
    matplotlib.interactive(False)
    assert matplotlib.rcParams["savefig.dpi"] == before["savefig.dpi"]


def test_site_palette_keeps_neighbouring_sites_apart(p1):
    """Lumbar, thoracic, cervical and cranial in clearly different colours (no dark-ramp pair
    that hides one curve behind another); plasma black."""
    from matplotlib.colors import to_rgb
    colours = plots._site_colours([str(s) for s in p1["site"].values])
    assert colours["plasma"] == "black"
    csf = [np.array(to_rgb(colours[s])) for s in ("lumbar", "thoracic", "cervical", "cranial")]
    for i in range(len(csf)):
        for j in range(i + 1, len(csf)):
            assert np.linalg.norm(csf[i] - csf[j]) > 0.5, (i, j)  # a viridis ramp: 0.29


def test_profiles_fold_coinciding_times_into_one_legend_entry(one_d):
    """At steady state, profiles at several times lie on one curve: one legend entry says so."""
    steady = one_d.copy(deep=True)
    last = steady["csf_concentration"].isel(time=-1)
    steady["csf_concentration"] = last.expand_dims(time=steady["time"].values).transpose(
        *one_d["csf_concentration"].dims)
    fig = csfpk.plot_profiles(steady, times=[2, 12, 40], drug="morphine")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["2, 12, 40 h (same)"] or (len(labels) == 1 and "(same)" in labels[0])
    assert len([ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")]) == 1


def test_dermatome_panel_with_no_coverage_says_so(spinal):
    none = spinal.copy(deep=True)
    none["dermatome_coverage"] = none["dermatome_coverage"] * 0.0
    fig = csfpk.plot_dermatome_coverage(none)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("never reached" in t for t in texts)
