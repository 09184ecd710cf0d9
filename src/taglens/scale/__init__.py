"""taglens at scale: suggest, features and evaluate as Ray Data jobs over deterministic, resumable Parquet shards
(``taglens suggest --batch IN --out DIR --engine ray``). Ray is imported lazily, by ``--engine ray`` only."""
