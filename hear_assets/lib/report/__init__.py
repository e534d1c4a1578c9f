"""Scores files, the leaderboard, figures and the original kit's export."""
