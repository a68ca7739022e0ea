"""Plots for ℓq sparse coding: operators, error-vs-sparsity curves, atom mosaics.

Every helper takes ``ax=None``, draws, and returns the Axes.
"""

from __future__ import annotations

import numpy as np

from sigrec._plotting import axes_or_new
from sigrec.coding._prox import PENALTIES, prox

__all__ = ["plot_thresholding_operators", "plot_error_vs_sparsity", "plot_atoms"]

_LABELS = {
    "l1": "ℓ1 (soft)",
    "l0": "ℓ0 (hard)",
    "l1/2": "ℓ1/2 (half)",
    "l2/3": "ℓ2/3",
    "cel0": "CEL0",
    "omp": "OMP (scikit-learn)",
    "sklearn_lasso": "lasso (scikit-learn)",
}


def plot_thresholding_operators(*, tau=1.0, step=0.5, column_norm=1.0, penalties=PENALTIES, v_max=4.0, ax=None):
    """Draw prox_τ(v) against v for each penalty.

    Parameters
    ----------
    tau : float, default=1.0
        η·α shared by all operators (CEL0 uses α = τ/η and its column norm).
    step : float, default=0.5
        η (CEL0 only).
    column_norm : float, default=1.0
        Atom norm a (CEL0 only).
    penalties : sequence of str
    v_max : float
        Horizontal range [−v_max, v_max].
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax, (5, 4))
    values = np.linspace(-v_max, v_max, 2001)
    ax.plot(values, values, color="0.8", lw=1, label="identity")
    for penalty in penalties:
        ax.plot(values, prox(penalty, values, tau, step=step, column_norms=column_norm), label=_LABELS[penalty])
    ax.set_xlabel("v")
    ax.set_ylabel("prox(v)")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return ax


def plot_error_vs_sparsity(results, *, ax=None, x="mean_l0", y="relative_error", method="method"):
    """Relative reconstruction error against mean ℓ0, one curve per method.

    Parameters
    ----------
    results : pandas.DataFrame or dict
        Long-format table with columns ``method``, ``mean_l0`` and
        ``relative_error`` (names configurable), or a dict
        ``{method: (mean_l0 array, error array)}``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax, (5, 4))
    if isinstance(results, dict):
        curves = {name: (np.asarray(l0), np.asarray(err)) for name, (l0, err) in results.items()}
    else:
        curves = {
            name: (group[x].to_numpy(float), group[y].to_numpy(float))
            for name, group in results.groupby(method, sort=False)
        }
    for name, (l0, err) in curves.items():
        order = np.argsort(l0)
        ax.plot(l0[order], err[order], marker="o", label=_LABELS.get(name, name))
    ax.set_xlabel("mean number of active atoms per patch (ℓ0)")
    ax.set_ylabel("relative error ‖x − Dᵀc‖² / ‖x‖²")
    ax.set_yscale("log")
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return ax


def plot_atoms(dictionary, *, n_atoms=100, patch_shape=None, ax=None, order="given"):
    """Mosaic of dictionary atoms (receptive fields), each scaled to its own range.

    Parameters
    ----------
    dictionary : array-like of shape (n_components, n_features)
        Atoms as rows; n_features must be a square number unless ``patch_shape`` is given.
    n_atoms : int, default=100
        How many atoms to show (the first ones, or see ``order``).
    patch_shape : tuple of int, optional
    ax : matplotlib Axes, optional
    order : {"given", "energy"}
        ``"energy"`` sorts atoms by decreasing variance (flat atoms last).

    Returns
    -------
    matplotlib.axes.Axes
    """
    atoms = np.asarray(dictionary, dtype=float)
    if atoms.ndim != 2 or atoms.shape[0] == 0:
        raise ValueError(f"dictionary must be 2-D with at least one atom, got shape {atoms.shape}")
    if patch_shape is None:
        side = int(round(np.sqrt(atoms.shape[1])))
        if side * side != atoms.shape[1]:
            raise ValueError(f"n_features={atoms.shape[1]} is not square; pass patch_shape")
        patch_shape = (side, side)
    if order == "energy":
        atoms = atoms[np.argsort(-atoms.var(axis=1))]
    atoms = atoms[:n_atoms]
    columns = int(np.ceil(np.sqrt(len(atoms))))
    rows = int(np.ceil(len(atoms) / columns))
    height, width = patch_shape
    mosaic = np.full((rows * (height + 1) + 1, columns * (width + 1) + 1), np.nan)
    for index, atom in enumerate(atoms):
        tile = atom.reshape(patch_shape)
        scale = np.abs(tile).max() or 1.0
        r, c = divmod(index, columns)
        mosaic[
            1 + r * (height + 1) : 1 + r * (height + 1) + height, 1 + c * (width + 1) : 1 + c * (width + 1) + width
        ] = tile / scale
    ax = axes_or_new(ax, (6, 6))
    ax.imshow(mosaic, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    return ax
