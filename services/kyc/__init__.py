"""KYC: customers onboarded and screened against the sanctions lists, their wallets and
bank accounts, and the eligibility of their redemptions (saga step 1)."""
