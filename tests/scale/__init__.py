"""Scale-out: PostgreSQL instance storage and the dask executor."""
