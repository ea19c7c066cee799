"""Settlement batches: what goes to the chain, and the Merkle proofs that tie every trade to it (SETTLEMENT.md)."""
