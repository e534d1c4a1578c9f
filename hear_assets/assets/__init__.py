"""The asset families: task stages, pair stages, and the scores report."""
