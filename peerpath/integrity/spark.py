"""The Spark engine: the same rule statements, compiled by ibis for Spark SQL, run on a
Spark session (local mode by default; any cluster by its master URL, `--spark-url`).

Tables go to Spark as Arrow (no row-by-row conversion) and each engine relation is
materialized before the next is computed, as on DuckDB. Results come back as Arrow.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from peerpath.policy.engine import Session, register_dialect
from peerpath.policy.tables import SQL_SCHEMAS

LOCAL = "local[2]"


def compile_spark(expr: ir.Table) -> str:
    if ibis.options.pyspark is None:
        # The Spark compiler reads the PySpark backend's options (NaN handling of float
        # literals), which exist once the backend has registered them.
        from ibis.backends.pyspark import Backend

        Backend.register_options()
    return str(ibis.to_sql(expr, dialect="pyspark"))


register_dialect("spark", compile_spark)

_SESSIONS: dict[str, Any] = {}


def spark_session(url: str = "") -> Any:
    """A Spark session for `url` (a master URL such as spark://host:7077; default local mode
    on two cores), started once per process and kept."""
    master = url or os.environ.get("PEERPATH_SPARK_URL", "") or LOCAL
    partitions = os.environ.get("PEERPATH_SPARK_PARTITIONS", "1" if master == LOCAL else "200")
    session = _SESSIONS.get(master)
    if session is None:
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.appName("peerpath-audit")
            .master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", partitions)
            # The engine's own statements quote names with double quotes (standard SQL).
            .config("spark.sql.ansi.enabled", "true")
            .config("spark.sql.ansi.doubleQuotedIdentifiers", "true")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", os.environ.get("PEERPATH_SPARK_DRIVER_MEMORY", "2g"))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        _SESSIONS[master] = session
    return session


class SparkSession_(Session):
    """One run's tables as temporary views of a Spark session."""

    dialect = "spark"

    def __init__(self, url: str = "") -> None:
        self.spark = spark_session(url)
        self._views: set[str] = set()

    def load(self, data: Mapping[str, pa.Table]) -> None:
        for name, schema in SQL_SCHEMAS.items():
            table = data.get(name)
            self.replace(name, table if table is not None else schema.empty_table())

    def replace(self, name: str, table: pa.Table) -> None:
        self.held.pop(name, None)
        schema = SQL_SCHEMAS.get(name)
        if schema is not None:
            table = table.select(schema.names).cast(schema)
        self.spark.createDataFrame(table).createOrReplaceTempView(name)
        self._views.add(name)

    def materialize(self, name: str, sql: str) -> None:
        self.replace(name, self.arrow(sql, SQL_SCHEMAS[name]))

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        table: pa.Table = self.spark.sql(sql).toArrow()
        return table.select(schema.names).cast(schema)

    def close(self) -> None:
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views.clear()
