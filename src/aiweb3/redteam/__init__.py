"""Red-team agents: find, exploit, patch and stress-test contracts on the local node (issue 19)."""
