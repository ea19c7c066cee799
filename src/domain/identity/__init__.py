"""Who is who: users (a wallet is the identity), their unique usernames, and sign-in sessions."""
