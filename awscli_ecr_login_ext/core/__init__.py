"""Floor 1: the grammar and values everything else builds on; the standard library only."""
