"""Probes and distances that turn embeddings into predictions, and the metrics that score them."""
