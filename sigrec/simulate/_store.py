"""SQLite result store: one row per trial, one transaction per chunk.

Why SQLite: it ships with Python, a committed transaction survives the
writing process being killed (WAL journal), and a primary key on
(experiment, cell, trial) makes "every trial exactly once" a property the
database enforces rather than one the runner hopes for.  Only the
coordinating process writes; workers return their rows.

Trials that failed (raised, or killed their worker) are kept apart in an
``errors`` table with the same key, so that results never mix with failures:
a trial is in ``trials`` or in ``errors``, never both, and a later success
(``--resume`` retries failed trials) replaces its error row in the same
transaction.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import sqlite3
from pathlib import Path

__all__ = ["ResultStore", "StoreError"]

_APPLICATION_ID = 0x53475243  # "SGRC": marks a file as a sigrec store
_SCHEMA_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: Seconds a write waits for another process's lock on the store before giving up.
LOCK_TIMEOUT = 30.0

_ERRORS_TABLE = (
    "CREATE TABLE errors (experiment TEXT NOT NULL, cell TEXT NOT NULL, trial INTEGER NOT NULL, "
    "params TEXT NOT NULL, seed TEXT NOT NULL, error_type TEXT NOT NULL, message TEXT NOT NULL, "
    "traceback TEXT NOT NULL, attempts INTEGER NOT NULL, version TEXT NOT NULL, recorded_at TEXT NOT NULL, "
    "PRIMARY KEY (experiment, cell, trial))"
)


class StoreError(RuntimeError):
    """A store that cannot be used: foreign, corrupt, mismatched, locked, full or unwritable."""


def _store_failure(exc, path, action, committed=None):
    """A :class:`StoreError` that says what went wrong with ``path`` and what to do about it.

    Parameters
    ----------
    exc : sqlite3.Error
    path : pathlib.Path or None
    action : str
        What was being done, e.g. "write a chunk of trials to".
    committed : int, optional
        Trials the store holds (all from complete chunks), quoted in the advice.

    Returns
    -------
    StoreError
    """
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    where = "the in-memory store" if path is None else f"results store {path}"
    kept = (
        f" The store keeps the {committed} trials of the chunks committed before; nothing of the failed chunk "
        f"was written (each chunk is one transaction)."
        if committed is not None
        else " Nothing was written."
    )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreError(
            f"cannot {action} {where}: it is locked by another process (waited {LOCK_TIMEOUT:g} s). Is another "
            f"`sigrec run` writing to it? Let it finish or stop it, then rerun with --resume (or choose another "
            f"--store).{kept}"
        )
    if name.startswith("SQLITE_FULL") or "full" in text:
        return StoreError(
            f"cannot {action} {where}: the disk is full ({exc}). Free some space or move the store to a disk "
            f"with room, then rerun with --resume to continue.{kept}"
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreError(f"cannot {action} {where}: it is read-only ({exc}); check its permissions.{kept}")
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreError(
            f"cannot {action} {where}: it already holds some of these trials ({exc}). Is another `sigrec run` "
            f"writing to the same store? Run one sweep per store.{kept}"
        )
    return StoreError(f"cannot {action} {where}: {exc}.{kept}")


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
                connection = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=LOCK_TIMEOUT)
            else:
                connection = sqlite3.connect(target, timeout=LOCK_TIMEOUT)
            if path is not None and not readonly:
                connection.execute("PRAGMA journal_mode=WAL")
                # NORMAL is durable against a killed process (our threat model); FULL only adds power-loss safety.
                connection.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise _store_failure(exc, path, "open") from exc
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
            failed = cls._count_errors(connection)
            if (count or failed) and not resume:
                held = f"{count} trials" + (f" and {failed} failed trials" if failed else "")
                raise StoreError(
                    f"{path} already holds {held} of {experiment!r}; pass --resume to continue "
                    f"that sweep or choose another --store path (results are never overwritten)."
                )
            if root_seed is not None and root_seed != stored_seed and (count or failed):
                raise StoreError(
                    f"{path} was written with root seed {stored_seed}, not {root_seed}; resuming with "
                    f"another seed would mix two sweeps."
                )
            try:
                with connection:
                    if failed is None:  # a store written before failed trials were recorded
                        connection.execute(_ERRORS_TABLE)
                    if root_seed is not None and not count:
                        stored_seed = root_seed
                        connection.execute("UPDATE meta SET value=? WHERE key='root_seed'", (str(root_seed),))
            except sqlite3.Error as exc:
                raise _store_failure(exc, path, "resume") from exc
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
                connection.execute(_ERRORS_TABLE)
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
            raise _store_failure(exc, path, "create") from exc
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

    @staticmethod
    def _count_errors(connection):
        """Rows of the ``errors`` table, or None for a store that has none."""
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "errors" not in tables:
            return None
        (count,) = connection.execute("SELECT COUNT(*) FROM errors").fetchone()
        return count

    # ------------------------------------------------------------------ content
    def completed(self):
        """Set of ``(cell_key, trial)`` pairs already stored (failed trials excluded)."""
        rows = self._connection.execute("SELECT cell, trial FROM trials WHERE experiment=?", (self.experiment,))
        return {(cell, trial) for cell, trial in rows}

    def write_chunk(self, rows):
        """Commit one chunk's rows atomically: all of them or, on any error, none.

        Parameters
        ----------
        rows : list of dict
            Each with keys ``cell, trial, params, seed, wall_time, version`` and
            either ``metrics`` (a trial that succeeded) or ``error`` (one that
            failed: a dict with ``type``, ``message``, ``traceback`` and
            optionally ``attempts``). A success deletes the trial's error row
            left by an earlier attempt; a failure replaces it.

        Raises
        ------
        StoreError
            The store is locked by another process for longer than
            :data:`LOCK_TIMEOUT`, the disk is full, or the write failed
            otherwise; the chunk is rolled back.
        """
        records, failures = [], []
        recorded_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        for row in rows:
            key = (self.experiment, row["cell"], int(row["trial"]))
            params, seed = json.dumps(row["params"], sort_keys=True), json.dumps(row["seed"])
            if "error" in row:
                error = row["error"]
                failures.append((*key, params, seed, str(error["type"]), str(error["message"]),
                                 str(error.get("traceback", "")), int(error.get("attempts", 1)), row["version"],
                                 recorded_at))
            else:
                metrics = json.dumps({k: _encode_float(v) for k, v in row["metrics"].items()}, sort_keys=True)
                records.append((*key, params, metrics, seed, float(row["wall_time"]), row["version"]))
        try:
            with self._connection:
                self._connection.executemany("INSERT INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)
                self._connection.executemany(
                    "DELETE FROM errors WHERE experiment=? AND cell=? AND trial=?", [r[:3] for r in records]
                )
                self._connection.executemany(
                    "INSERT OR REPLACE INTO errors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", failures
                )
        except sqlite3.Error as exc:
            try:
                committed = len(self)
            except sqlite3.Error:
                committed = None
            raise _store_failure(exc, self.path, "write a chunk of trials to", committed) from exc

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

    def errors(self):
        """The failed trials, one row each, as a pandas DataFrame.

        Returns
        -------
        pandas.DataFrame
            Sorted by (cell, trial): ``cell``, ``trial``, one column per grid
            parameter, then ``error_type``, ``message``, ``traceback`` (the
            last frames), ``attempts`` (runs that failed: more than one when a
            trial killed its worker and was retried), ``seed`` (the
            SeedSequence spawn key as JSON, to reproduce the trial),
            ``version`` and ``recorded_at`` (UTC). Empty, with these columns,
            when no trial failed.
        """
        import pandas as pd

        columns = ["cell", "trial", "error_type", "message", "traceback", "attempts", "seed", "version",
                   "recorded_at"]
        if not self._count_errors(self._connection):
            return pd.DataFrame(columns=columns)
        query = (
            "SELECT cell, trial, params, error_type, message, traceback, attempts, seed, version, recorded_at "
            "FROM errors WHERE experiment=? ORDER BY cell, trial"
        )
        records = []
        for cell, trial, params, *rest in self._connection.execute(query, (self.experiment,)):
            record = {"cell": cell, "trial": trial, **json.loads(params)}
            record.update(zip(columns[2:], rest, strict=True))
            records.append(record)
        return pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=columns)

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
