"""The training runtime: recipe flags, strategies, the fit loop, callbacks and export."""
