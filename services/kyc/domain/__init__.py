"""KYC's pure rules: screening, onboarding decisions, wallets' proof of control, tiers,
limits and eligibility. No broker, no database driver."""
