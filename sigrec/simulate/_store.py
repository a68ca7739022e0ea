"""SQLite result store: one row per trial, one transaction per chunk.

Why SQLite: it ships with Python, a committed transaction survives the
writing process being killed (WAL journal), and a primary key on
(experiment, cell, trial) makes "every trial exactly once" a property the
database enforces rather than one the runner hopes for.  Only the
coordinating process writes; workers return their rows.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from pathlib import Path

__all__ = ["ResultStore", "StoreError"]

_APPLICATION_ID = 0x53475243  # "SGRC": marks a file as a sigrec store
_SCHEMA_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(RuntimeError):
    """A store that cannot be used: foreign, corrupt, mismatched or unwritable."""


def _encode_float(value):
    # JSON has no inf/nan; keep them exact as strings.
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _decode_float(value):
    return float(value) if isinstance(value, str) else value


class ResultStore:
    """Trial results of one experiment in one SQLite file.

    Use :meth:`create_or_resume` to run a sweep and :meth:`open_existing` to
    read results back.  ``path=None`` keeps the store in memory.

    Attributes
    ----------
    path : pathlib.Path or None
    experiment : str
    root_seed : int
    """

    def __init__(self, connection, path, experiment, root_seed):
        self._connection = connection
        self.path = path
        self.experiment = experiment
        self.root_seed = root_seed

    # ------------------------------------------------------------------ opening
    @staticmethod
    def _check_file(path):
        if not path.exists():
            return False
        if path.is_dir():
            raise StoreError(f"store path {path} is a directory; give a file name such as {path / 'results.sqlite'}")
        if path.stat().st_size == 0:
            return False
        with open(path, "rb") as handle:
            header = handle.read(len(_SQLITE_MAGIC))
        if header != _SQLITE_MAGIC:
            raise StoreError(
                f"{path} is not a sigrec results store (not an SQLite file); refusing to overwrite it. "
                f"Choose another --store path."
            )
        return True

    @staticmethod
    def _connect(path, *, readonly=False):
        target = ":memory:" if path is None else str(path)
        try:
            if readonly and path is not None:
                connection = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=30)
            else:
                connection = sqlite3.connect(target, timeout=30)
            if path is not None and not readonly:
                connection.execute("PRAGMA journal_mode=WAL")
                # NORMAL is durable against a killed process (our threat model); FULL only adds power-loss safety.
                connection.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open results store {target}: {exc}") from exc
        return connection

    @staticmethod
    def _read_meta(connection, path):
        try:
            (app_id,) = connection.execute("PRAGMA application_id").fetchone()
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            # A damaged page would otherwise surface later as a raw traceback mid-sweep.
            (verdict,) = connection.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError(verdict)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is corrupt or not a sigrec results store: {exc}") from exc
        if app_id != _APPLICATION_ID or not {"meta", "trials"} <= tables:
            raise StoreError(
                f"{path} is an SQLite database but not a sigrec results store; refusing to touch it. "
                f"Choose another --store path."
            )
        try:
            meta = dict(connection.execute("SELECT key, value FROM meta"))
            int(meta["schema"])
        except (sqlite3.DatabaseError, KeyError, ValueError) as exc:
            raise StoreError(f"{path} is a damaged sigrec results store (metadata unreadable: {exc})") from exc
        if int(meta["schema"]) > _SCHEMA_VERSION:
            raise StoreError(f"{path} was written by a newer sigrec (store schema {meta['schema']})")
        return meta

    @classmethod
    def create_or_resume(cls, path, experiment, *, root_seed=None, resume=False, version=""):
        """Open a store for a sweep of ``experiment``.

        Parameters
        ----------
        path : str, os.PathLike or None
            SQLite file (created with its parent folders) or None for memory.
        experiment : str
        root_seed : int or None
            The sweep's root seed. None means 0 for a new store and the
            stored seed when resuming.
        resume : bool
            Continue a store that already holds trials. Without it, a store
            holding trials is an error: results are never overwritten.
        version : str
            sigrec version, recorded in the metadata.

        Raises
        ------
        StoreError
            Foreign, corrupt or unwritable file; store of another experiment;
            existing trials without ``resume``; a root seed that differs from
            the stored one.
        """
        if path is not None:
            path = Path(path)
            exists = cls._check_file(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for store {path}: {exc}") from exc
            if not os.access(path.parent, os.W_OK) or (exists and not os.access(path, os.W_OK)):
                raise StoreError(f"store {path} is not writable (permission denied)")
        else:
            exists = False
        connection = cls._connect(path)
        if exists:
            meta = cls._read_meta(connection, path)
            if meta["experiment"] != experiment:
                raise StoreError(
                    f"{path} holds results of experiment {meta['experiment']!r}, not {experiment!r}; "
                    f"use another --store path."
                )
            stored_seed = int(meta["root_seed"])
            (count,) = connection.execute("SELECT COUNT(*) FROM trials").fetchone()
            if count and not resume:
                raise StoreError(
                    f"{path} already holds {count} trials of {experiment!r}; pass --resume to continue "
                    f"that sweep or choose another --store path (results are never overwritten)."
                )
            if root_seed is not None and root_seed != stored_seed and count:
                raise StoreError(
                    f"{path} was written with root seed {stored_seed}, not {root_seed}; resuming with "
                    f"another seed would mix two sweeps."
                )
            if root_seed is not None and not count:
                stored_seed = root_seed
                with connection:
                    connection.execute("UPDATE meta SET value=? WHERE key='root_seed'", (str(root_seed),))
            return cls(connection, path, experiment, stored_seed)

        seed = 0 if root_seed is None else int(root_seed)
        try:
            with connection:
                connection.execute(f"PRAGMA application_id={_APPLICATION_ID}")
                connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                connection.execute(
                    "CREATE TABLE trials (experiment TEXT NOT NULL, cell TEXT NOT NULL, trial INTEGER NOT NULL, "
                    "params TEXT NOT NULL, metrics TEXT NOT NULL, seed TEXT NOT NULL, wall_time REAL NOT NULL, "
                    "version TEXT NOT NULL, PRIMARY KEY (experiment, cell, trial))"
                )
                connection.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("schema", str(_SCHEMA_VERSION)),
                        ("experiment", experiment),
                        ("root_seed", str(seed)),
                        ("created_by", version),
                    ],
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot create results store {path}: {exc}") from exc
        return cls(connection, path, experiment, seed)

    @classmethod
    def open_existing(cls, path, experiment=None):
        """Open a store read-only, e.g. for ``sigrec report``.

        Raises
        ------
        StoreError
            Missing, foreign or corrupt file, or one of another experiment.
        """
        path = Path(path)
        if not cls._check_file(path):
            raise StoreError(f"no results store at {path} (run the experiment first)")
        connection = cls._connect(path, readonly=True)
        meta = cls._read_meta(connection, path)
        if experiment is not None and meta["experiment"] != experiment:
            raise StoreError(f"{path} holds results of experiment {meta['experiment']!r}, not {experiment!r}")
        return cls(connection, path, meta["experiment"], int(meta["root_seed"]))

    # ------------------------------------------------------------------ content
    def completed(self):
        """Set of ``(cell_key, trial)`` pairs already stored."""
        rows = self._connection.execute("SELECT cell, trial FROM trials WHERE experiment=?", (self.experiment,))
        return {(cell, trial) for cell, trial in rows}

    def write_chunk(self, rows):
        """Commit one chunk's rows atomically.

        Parameters
        ----------
        rows : list of dict
            Each with keys ``cell, trial, params, metrics, seed, wall_time, version``.
        """
        records = [
            (
                self.experiment,
                row["cell"],
                int(row["trial"]),
                json.dumps(row["params"], sort_keys=True),
                json.dumps({k: _encode_float(v) for k, v in row["metrics"].items()}, sort_keys=True),
                json.dumps(row["seed"]),
                float(row["wall_time"]),
                row["version"],
            )
            for row in rows
        ]
        with self._connection:
            self._connection.executemany("INSERT INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)

    def __len__(self):
        (count,) = self._connection.execute(
            "SELECT COUNT(*) FROM trials WHERE experiment=?", (self.experiment,)
        ).fetchone()
        return count

    def to_dataframe(self):
        """All trials as a pandas DataFrame.

        Returns
        -------
        pandas.DataFrame
            One row per trial, sorted by (cell, trial): one column per grid
            parameter, one per metric, plus ``cell``, ``trial``, ``seed``
            (the SeedSequence spawn key as JSON), ``wall_time`` (seconds)
            and ``version``.
        """
        import pandas as pd

        query = (
            "SELECT cell, trial, params, metrics, seed, wall_time, version FROM trials "
            "WHERE experiment=? ORDER BY cell, trial"
        )
        records = []
        for cell, trial, params, metrics, seed, wall_time, version in self._connection.execute(
            query, (self.experiment,)
        ):
            record = {"cell": cell, "trial": trial}
            record.update(json.loads(params))
            record.update({k: _decode_float(v) for k, v in json.loads(metrics).items()})
            record.update({"seed": seed, "wall_time": wall_time, "version": version})
            records.append(record)
        return pd.DataFrame.from_records(records)

    def to_csv(self, path):
        """Write :meth:`to_dataframe` to ``path`` as CSV and return the path."""
        self.to_dataframe().to_csv(path, index=False)
        return Path(path)

    def close(self):
        self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
