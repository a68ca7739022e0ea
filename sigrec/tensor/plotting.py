"""Plots for PLAIN: RMSE/√CRB curves, resolution curves and the range–Doppler map.

Every helper takes ``ax=None``, draws, and returns the Axes; none calls
``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from sigrec._plotting import axes_or_new

__all__ = ["plot_rmse_ratio", "plot_resolution", "plot_range_doppler"]

LABELS = {
    "plain": "PLAIN (averaging)",
    "plain_decimate": "PLAIN (decimation)",
    "plain_no_fb": "PLAIN without FB averaging",
    "fft": "FFT periodogram (grid peak)",
    "fft_newton": "FFT peaks + Newton",
    "grid_omp": "grid OMP + Newton",
    "tensor_esprit": "joint tensor ESPRIT",
    "sequential": "sequential",
}


def plot_rmse_ratio(summary, mode, *, methods=None, ax=None):
    """RMSE/√CRB of each method against SNR, for one mode.

    Parameters
    ----------
    summary : pandas.DataFrame
        Rows of one scene from the ``plain-rmse-snr`` summary: columns
        ``snr_db``, ``crb_<mode>_mean`` and ``sq_err_<method>_<mode>_mean``.
    mode : {"space", "frequency", "time"}
    methods : list of str, optional
        Default: every method present.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    summary = summary.sort_values("snr_db")
    prefix, suffix = "sq_err_", f"_{mode}_mean"
    found = [c[len(prefix): -len(suffix)] for c in summary.columns if c.startswith(prefix) and c.endswith(suffix)]
    for method in methods or found:
        ratio = np.sqrt(summary[f"{prefix}{method}{suffix}"] / summary[f"crb_{mode}_mean"])
        ax.semilogy(summary["snr_db"], ratio, marker="o", label=LABELS.get(method, method))
    ax.axhline(1.0, color="k", linestyle="--", linewidth=1, label="CRB (full data)")
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel("RMSE / √CRB")
    ax.set_title(f"{mode} mode")
    ax.legend(fontsize=7)
    return ax


def plot_resolution(summary, *, methods=None, ax=None):
    """Probability of resolving two objects against their separation.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``plain-resolution`` summary rows of one layout: ``separation`` and
        ``resolved_<method>_mean``.
    methods : list of str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    summary = summary.sort_values("separation")
    found = [c[len("resolved_"): -len("_mean")] for c in summary.columns
             if c.startswith("resolved_") and c.endswith("_mean")]
    for method in methods or found:
        ax.plot(summary["separation"], summary[f"resolved_{method}_mean"], marker="o",
                label=LABELS.get(method, method))
    ax.set_xlabel("separation (Rayleigh cells)")
    ax.set_ylabel("P(both within 0.1 cell)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    return ax


def plot_range_doppler(H, geometry, *, estimates=None, truth=None, padding=2, max_range=None, max_speed=None,
                       ax=None):
    """Range–Doppler map (antenna-summed periodogram) with estimates on top.

    Parameters
    ----------
    H : ndarray, shape (N_a, N_f, N_t), complex
        The ISAC tensor.
    geometry : sigrec.tensor.isac.ISACGeometry
    estimates, truth : tuple of (ranges_m, velocities_mps), optional
        Drawn as crosses and circles.
    padding : int, default=2
        Zero padding per mode of the 2-D FFT.
    max_range : float, optional
        Crop the range axis (m).
    max_speed : float, optional
        Limit the velocity axis to ±`max_speed` (m/s); default the
        unambiguous interval.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax, (6, 4))
    _, n_subcarriers, n_symbols = H.shape
    n_range, n_doppler = padding * n_subcarriers, padding * n_symbols
    # Delay frequency ν = −2πΔf τ: a forward FFT over subcarriers peaks at bin −ν·n/2π, so take an
    # inverse-direction transform (conjugate trick) to get increasing range along the axis.
    spectrum = np.fft.fft(np.conj(np.fft.fft(np.conj(H), n=n_range, axis=1)), n=n_doppler, axis=2)
    power = np.sum(np.abs(spectrum) ** 2, axis=0)
    power = np.fft.fftshift(power, axes=1)
    range_axis = np.arange(n_range) / n_range * geometry.max_unambiguous_range
    velocity_axis = (np.arange(n_doppler) / n_doppler - 0.5) * 2 * geometry.max_unambiguous_speed
    keep = range_axis <= (max_range if max_range is not None else range_axis[-1])
    image = 10 * np.log10(power[keep] / power.max() + 1e-12)
    # Pixel edges sit half a bin either side of the bin centres.
    range_step, velocity_step = range_axis[1] - range_axis[0], velocity_axis[1] - velocity_axis[0]
    extent = [velocity_axis[0] - velocity_step / 2, velocity_axis[-1] + velocity_step / 2,
              range_axis[0] - range_step / 2, range_axis[keep][-1] + range_step / 2]
    ax.imshow(image, origin="lower", aspect="auto", vmin=-40, vmax=0, cmap="viridis", extent=extent)
    if max_speed is not None:
        ax.set_xlim(-max_speed, max_speed)
    if truth is not None:
        ax.scatter(truth[1], truth[0], facecolors="none", edgecolors="w", s=80, label="truth")
    if estimates is not None:
        ax.scatter(estimates[1], estimates[0], marker="x", color="r", s=50, label="PLAIN")
    ax.set_xlabel("radial velocity (m/s)")
    ax.set_ylabel("range (m)")
    if truth is not None or estimates is not None:
        ax.legend(fontsize=7, loc="upper right")
    return ax
