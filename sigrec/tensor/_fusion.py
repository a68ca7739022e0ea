"""Stage 3 of PLAIN: pair per-mode candidates by going back to the data.

Every combination of one candidate per mode is a rank-one atom. Their
correlations with the (compressed) tensor form a small core
``C = Y ×_1 V_1ᴴ ×_2 … ×_M V_Mᴴ`` of shape ``(S, L_1, …, L_M)``, and the
Gram matrix of any two atoms is a product of per-mode Grams. Both fusions
work entirely on that core: the tensor is read once.
"""

from __future__ import annotations

import numpy as np

from sigrec.tensor._model import vandermonde

__all__ = ["FUSIONS", "merge_candidates", "candidate_core", "tensor_omp", "tensor_least_squares"]

FUSIONS = ("omp", "ls")


def merge_candidates(frequencies, tolerance):
    """Merge sorted candidates closer than `tolerance` (rad/sample, circularly) into their mean.

    Near-duplicate candidates make the atom Gram ill-conditioned without
    adding information.
    """
    frequencies = np.sort(np.asarray(frequencies, dtype=float))
    if frequencies.shape[0] < 2 or tolerance <= 0:
        return frequencies
    groups = [[frequencies[0]]]
    for value in frequencies[1:]:
        if value - groups[-1][-1] < tolerance:
            groups[-1].append(value)
        else:
            groups.append([value])
    # The circle closes: the last group may continue into the first.
    if len(groups) > 1 and frequencies[0] + 2 * np.pi - groups[-1][-1] < tolerance:
        groups[0] = [value - 2 * np.pi for value in groups[-1]] + groups[0]
        groups.pop()
    merged = np.array([np.mean(group) for group in groups])
    return np.sort(np.mod(merged + np.pi, 2 * np.pi) - np.pi)


def candidate_core(data, candidates):
    """Correlations of every candidate combination with every snapshot.

    Parameters
    ----------
    data : ndarray, shape (S, N_1, ..., N_M)
    candidates : list of ndarray
        Per-mode candidate frequencies, lengths ``L_m``.

    Returns
    -------
    core : ndarray, shape (S, L_1, ..., L_M)
    grams : list of ndarray
        Per-mode Gram matrices ``V_mᴴ V_m``, shapes ``(L_m, L_m)``.
    """
    core = data
    grams = []
    # Contract the largest mode first: later products act on an already reduced array.
    for mode in sorted(range(len(candidates)), key=lambda m: -data.shape[m + 1]):
        steering = vandermonde(candidates[mode], data.shape[mode + 1])
        core = np.moveaxis(np.tensordot(core, steering.conj(), axes=([mode + 1], [0])), -1, mode + 1)
    for mode, frequencies in enumerate(candidates):
        steering = vandermonde(frequencies, data.shape[mode + 1])
        grams.append(steering.conj().T @ steering)
    return core, grams


def _atom_gram(grams, rows, columns):
    """Gram entries between atoms given as index tuples (arrays of shape (n, M))."""
    result = np.ones((rows.shape[0], columns.shape[0]), dtype=complex)
    for mode, gram in enumerate(grams):
        result *= gram[np.ix_(rows[:, mode], columns[:, mode])]
    return result


def _least_squares_amplitudes(core_flat, grams, chosen, all_indices):
    """Joint LS amplitudes of the chosen atoms in every snapshot, shape (S, n_chosen)."""
    gram_chosen = _atom_gram(grams, all_indices[chosen], all_indices[chosen])
    solution, *_ = np.linalg.lstsq(gram_chosen, core_flat[:, chosen].T, rcond=None)
    return solution.T


def tensor_omp(core, grams, n_atoms):
    """Greedy pursuit over all candidate combinations (Tensor-OMP).

    Each iteration picks the combination whose correlation with the
    residual carries the most energy (summed over snapshots), then re-fits
    all picked atoms jointly by least squares, one amplitude per atom: the
    amplitudes stay aligned with the picked combinations. All atoms have the
    same norm, so correlations need no normalisation.

    Parameters
    ----------
    core : ndarray, shape (S, L_1, ..., L_M)
    grams : list of ndarray
    n_atoms : int

    Returns
    -------
    combinations : ndarray of int, shape (n_atoms, M)
        Per-mode candidate indices of each picked atom, in picking order.
        A candidate may appear in several atoms.
    amplitudes : ndarray, shape (S, n_atoms), complex
        Amplitudes in the compressed tensor.
    """
    n_snapshots = core.shape[0]
    levels = core.shape[1:]
    all_indices = np.array(np.unravel_index(np.arange(int(np.prod(levels))), levels)).T
    core_flat = core.reshape(n_snapshots, -1)
    n_atoms = min(int(n_atoms), core_flat.shape[1])
    residual = core_flat.copy()
    chosen = []
    amplitudes = np.zeros((n_snapshots, 0), dtype=complex)
    for _ in range(n_atoms):
        energy = np.sum(np.abs(residual) ** 2, axis=0)
        energy[chosen] = -np.inf
        chosen.append(int(np.argmax(energy)))
        amplitudes = _least_squares_amplitudes(core_flat, grams, chosen, all_indices)
        # core[t] = Σ_i β_i ⟨atom_t, atom_i⟩, and ⟨atom_t, atom_i⟩ = conj(⟨atom_i, atom_t⟩).
        residual = core_flat - amplitudes @ np.conj(_atom_gram(grams, all_indices[chosen], all_indices))
    return all_indices[chosen], amplitudes


def tensor_least_squares(core, grams, n_atoms):
    """Least-squares Tucker core with fixed factors; keep its `n_atoms` largest entries.

    ``B = Y ×_m V_m⁺ = C ×_m G_m⁻¹``. Cheap, but close candidates make
    ``G_m`` ill-conditioned and ghost combinations appear; the kept atoms'
    amplitudes are re-fitted jointly.

    Returns
    -------
    combinations : ndarray of int, shape (n_atoms, M)
        Sorted by decreasing core energy.
    amplitudes : ndarray, shape (S, n_atoms), complex
    """
    tucker = core
    for mode, gram in enumerate(grams):
        # Solve along axis mode+1: move it first, solve, move back.
        moved = np.moveaxis(tucker, mode + 1, 0)
        solved = np.linalg.lstsq(gram, moved.reshape(gram.shape[0], -1), rcond=None)[0]
        tucker = np.moveaxis(solved.reshape(moved.shape), 0, mode + 1)
    levels = core.shape[1:]
    energy = np.sum(np.abs(tucker.reshape(core.shape[0], -1)) ** 2, axis=0)
    n_atoms = min(int(n_atoms), energy.shape[0])
    chosen = list(np.argsort(energy)[::-1][:n_atoms])
    all_indices = np.array(np.unravel_index(np.arange(int(np.prod(levels))), levels)).T
    amplitudes = _least_squares_amplitudes(core.reshape(core.shape[0], -1), grams, chosen, all_indices)
    return all_indices[chosen], amplitudes
