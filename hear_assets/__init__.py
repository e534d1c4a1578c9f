"""The Dagster project of hear-dagster: tasks, embeddings, probes and scores as assets."""
