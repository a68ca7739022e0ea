"""Plots for learned sub-sampling: masks, metric-vs-K curves and reconstructions.

Every helper takes ``ax=None``, draws, and returns the Axes; none calls
``plt.show()``. Masks follow the conventions of
:mod:`sigrec.sampling._grid` (unshifted FFT order); the plots fftshift them
so that zero frequency sits in the middle.
"""

from __future__ import annotations

import numpy as np

from sigrec._plotting import axes_or_new

__all__ = ["MASK_LABELS", "plot_mask", "plot_metric_vs_k", "plot_reconstructions"]

#: Legend text of each mask name used by the ``dps-*`` experiments.
MASK_LABELS = {
    "dps": "DPS (learned)",
    "random_half": "random (half spectrum)",
    "random_full": "random (full spectrum)",
    "low_pass_half": "low-pass (half spectrum)",
    "low_pass_full": "low-pass (symmetric)",
    "equispaced": "equispaced",
    "variable_density": "variable density",
    "band_oracle": "band oracle (largest |H|)",
    "greedy": "greedy (on training set)",
}
# Reference masks that use knowledge a sampler does not have (the filter, or the training-set
# decoder error): drawn dashed so they read as bounds rather than competitors.
_REFERENCE_MASKS = ("band_oracle", "greedy")


def plot_mask(mask, *, ax=None, shift=True, title=None, reference=None):
    """Draw a sampling mask over frequency.

    Parameters
    ----------
    mask : array-like of bool or {0, 1}, shape (N,) or (H, W)
        The K-hot pattern in unshifted FFT order (e.g.
        :attr:`sigrec.sampling.DPSSampler.mask_`).
    ax : matplotlib.axes.Axes, optional
    shift : bool, default=True
        fftshift the mask so that zero frequency is in the middle; the axes
        are then labelled in cycles per sample. Without it the axes show bin
        indices in FFT order.
    title : str, optional
        Axes title; default ``"K = <number of selected bins>"``.
    reference : array-like of shape (N,), optional
        1-D only: a magnitude drawn behind the stems after normalising its
        peak to 1, such as ``abs(PulseEcho.frequency_response)``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If `mask` is not 1-D or 2-D, or `reference` does not match it.
    """
    mask = np.asarray(mask).astype(bool)
    if mask.ndim not in (1, 2):
        raise ValueError(f"mask must be 1-D (N,) or 2-D (H, W); got shape {mask.shape}.")
    ax = axes_or_new(ax, (6, 2.5) if mask.ndim == 1 else (4, 4))
    if mask.ndim == 1:
        n_bins = mask.shape[0]
        positions = np.fft.fftfreq(n_bins) if shift else np.arange(n_bins, dtype=float)
        values = mask.astype(float)
        if shift:
            positions, values = np.fft.fftshift(positions), np.fft.fftshift(values)
        if reference is not None:
            reference = np.abs(np.asarray(reference)).ravel()
            if reference.shape != (n_bins,):
                raise ValueError(f"reference must have shape ({n_bins},); got {reference.shape}.")
            peak = float(reference.max()) or 1.0
            curve = np.fft.fftshift(reference) if shift else reference
            ax.plot(positions, curve / peak, color="0.6", linewidth=1.2, label="reference (normalised)")
            ax.legend(fontsize=7, loc="upper right")
        selected = values > 0
        ax.vlines(positions[selected], 0.0, 1.0, color="C0", linewidth=1.5)
        ax.plot(positions[selected], np.ones(int(selected.sum())), "o", color="C0", markersize=4)
        ax.set_ylim(-0.05, 1.15)
        ax.set_yticks([0, 1])
        ax.set_xlabel("frequency (cycles/sample)" if shift else "DFT bin")
        ax.set_ylabel("selected")
    else:
        if reference is not None:
            raise ValueError("reference is only drawn for 1-D masks.")
        height, width = mask.shape
        image = np.fft.fftshift(mask) if shift else mask
        if shift:
            rows, cols = np.fft.fftshift(np.fft.fftfreq(height)), np.fft.fftshift(np.fft.fftfreq(width))
            row_step, col_step = 1.0 / height, 1.0 / width
            extent = [cols[0] - col_step / 2, cols[-1] + col_step / 2, rows[-1] + row_step / 2, rows[0] - row_step / 2]
            ax.imshow(image, cmap="Greys", vmin=0, vmax=1, extent=extent, interpolation="nearest")
            ax.set_xlabel("horizontal frequency (cycles/pixel)")
            ax.set_ylabel("vertical frequency (cycles/pixel)")
        else:
            ax.imshow(image, cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xlabel("column bin")
            ax.set_ylabel("row bin")
    ax.set_title(title if title is not None else f"K = {int(mask.sum())}")
    return ax


def _masks_with(summary, metric_prefix):
    """Mask names ``m`` with a ``<metric_prefix>_<m>_mean`` column, DPS first."""
    prefix, suffix = f"{metric_prefix}_", "_mean"
    found = [c[len(prefix): -len(suffix)] for c in summary.columns if c.startswith(prefix) and c.endswith(suffix)]
    return sorted(found, key=lambda name: (name != "dps", list(MASK_LABELS).index(name)
                                           if name in MASK_LABELS else len(MASK_LABELS), name))


def plot_metric_vs_k(summary, metric_prefix, *, ax=None, x="n_keep", masks=None, labels=None, ylabel=None,
                     highlight="dps", styles=None):
    """One curve per mask of a metric's per-cell mean (± standard error) against K.

    Parameters
    ----------
    summary : pandas.DataFrame
        A ``dps-*`` summary (:func:`sigrec.simulate.summarize`): column `x`
        and ``<metric_prefix>_<mask>_mean`` (with ``_sem`` when there were
        several trials).
    metric_prefix : str
        E.g. ``"nmse_linear"``, ``"nmse_fista"``, ``"psnr"``, ``"band6"``,
        ``"accuracy_logreg"``.
    ax : matplotlib.axes.Axes, optional
    x : str, default="n_keep"
        The column on the horizontal axis.
    masks : list of str, optional
        Masks to draw, in order; default every mask with a column, DPS first.
    labels : dict, optional
        Legend text per mask, overriding :data:`MASK_LABELS`.
    ylabel : str, optional
        Default `metric_prefix`.
    highlight : str or None, default="dps"
        The mask drawn as a thick black line. It is drawn beneath the others,
        so a reference mask that coincides with it (the band oracle, greedy)
        still shows as a dashed line on top.
    styles : dict of str to dict, optional
        Extra :meth:`~matplotlib.axes.Axes.errorbar` keywords per mask,
        applied last.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If a requested mask has no ``<metric_prefix>_<mask>_mean`` column.
    """
    ax = axes_or_new(ax)
    summary = summary.sort_values(x)
    names = list(masks) if masks is not None else _masks_with(summary, metric_prefix)
    legend = {**MASK_LABELS, **(labels or {})}
    for name in names:
        column = f"{metric_prefix}_{name}_mean"
        if column not in summary.columns:
            raise ValueError(f"summary has no column {column!r}; masks with {metric_prefix!r}: "
                             f"{_masks_with(summary, metric_prefix)}.")
        error = summary.get(f"{metric_prefix}_{name}_sem")
        if error is not None and not np.isfinite(error.to_numpy(dtype=float)).any():
            error = None
        if name == highlight:
            style = {"color": "k", "linewidth": 3.5, "marker": "o", "markersize": 7, "zorder": 2}
        elif name in _REFERENCE_MASKS:
            style = {"linestyle": "--", "linewidth": 1.4, "marker": "s", "markersize": 4, "zorder": 3}
        else:
            style = {"linewidth": 1.2, "marker": ".", "markersize": 7, "zorder": 3}
        style.update((styles or {}).get(name, {}))
        ax.errorbar(summary[x], summary[column], yerr=error, capsize=2, label=legend.get(name, name), **style)
    ax.set_xlabel("K (elements acquired)" if x == "n_keep" else x)
    ax.set_ylabel(ylabel or metric_prefix)
    values = summary[x].unique()
    if len(values) and np.all(np.asarray(values, dtype=float) > 0) and np.ptp(np.asarray(values, dtype=float)) > 0:
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(values), [str(v) for v in sorted(values)])
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    return ax


def plot_reconstructions(signals, estimates, *, image_shape=None, n_examples=4, ax=None):
    """Test signals beside their reconstructions, in one Axes.

    1-D signals are drawn as stacked traces (one band per example, the
    truth in black and each estimate on top); images as a montage whose
    first row is the truth and each further row one estimate, one column
    per example.

    Parameters
    ----------
    signals : ndarray of shape (n_samples, n_features)
        The true signals (images flattened row-major); real, or complex
        (real part drawn).
    estimates : dict of str to ndarray of shape (n_samples, n_features)
        Reconstructions by name, e.g. ``{"DPS": sampler.predict(X)}``.
    image_shape : tuple (H, W), optional
        Draw the rows as images of this shape.
    n_examples : int, default=4
        The first `n_examples` signals are drawn.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If an estimate's shape differs from `signals` or `image_shape` does not
        fit the number of features.
    """
    signals = np.real(np.asarray(signals))
    if signals.ndim != 2:
        raise ValueError(f"signals must be 2-D (n_samples, n_features); got shape {signals.shape}.")
    rows = {"truth": signals}
    for name, estimate in estimates.items():
        estimate = np.real(np.asarray(estimate))
        if estimate.shape != signals.shape:
            raise ValueError(f"estimate {name!r} has shape {estimate.shape}; signals have {signals.shape}.")
        rows[str(name)] = estimate
    n_examples = max(1, min(int(n_examples), signals.shape[0]))
    if image_shape is None:
        ax = axes_or_new(ax, (7, 1.4 * n_examples + 1))
        spacing = 2.2 * float(np.max(np.abs(signals[:n_examples]))) or 1.0
        time_axis = np.arange(signals.shape[1])
        for example in range(n_examples):
            offset = -example * spacing
            for index, (name, values) in enumerate(rows.items()):
                style = {"color": "k", "linewidth": 1.6} if name == "truth" else {"color": f"C{index - 1}",
                                                                                  "linewidth": 1.0}
                ax.plot(time_axis, values[example] + offset, label=name if example == 0 else None, **style)
        ax.set_yticks([-example * spacing for example in range(n_examples)],
                      [f"#{example}" for example in range(n_examples)])
        ax.set_xlabel("sample")
        ax.legend(fontsize=7, loc="upper right")
        return ax
    height, width = (int(size) for size in image_shape)
    if height * width != signals.shape[1]:
        raise ValueError(f"image_shape {tuple(image_shape)} has {height * width} pixels; signals have "
                         f"{signals.shape[1]} features.")
    ax = axes_or_new(ax, (1.3 * n_examples + 1, 1.3 * len(rows) + 0.5))
    gap = 1
    montage = np.full((len(rows) * (height + gap) - gap, n_examples * (width + gap) - gap), np.nan)
    for row, values in enumerate(rows.values()):
        for example in range(n_examples):
            top, left = row * (height + gap), example * (width + gap)
            montage[top:top + height, left:left + width] = values[example].reshape(height, width)
    low, high = float(np.min(signals[:n_examples])), float(np.max(signals[:n_examples]))
    ax.imshow(montage, cmap="gray", vmin=low, vmax=high if high > low else low + 1, interpolation="nearest")
    ax.set_yticks([row * (height + gap) + (height - 1) / 2 for row in range(len(rows))], list(rows))
    ax.set_xticks([])
    return ax
