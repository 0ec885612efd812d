"""HTTP feeds (DEX pool listings) behind core protocols."""
