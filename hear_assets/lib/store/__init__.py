"""Where things live under HEAR_HOME and how they are written: paths, atomic files,
manifests, locks, and the error types every layer raises."""
