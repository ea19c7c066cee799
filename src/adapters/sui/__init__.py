"""Where PeopleCoin meets the Sui chain: wallet signatures today, RPC and events beside them."""
